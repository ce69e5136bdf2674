/**
 * BIO sentences as records of the character formats (the tokens joined by single spaces) and records back as BIO:
 * words from the record's tokens or its split text, a tag a word from the spans (IOB2 or IOBES).
 */
import { bioSentence } from '../conll/write';
import type { TokenLine } from '../conll/reader';
import { tagOf } from '../conll/reader';
import { wordOf } from '../conll/corpus';
import { tagsForChunks } from '../conll/convert';
import type { Layout } from '../conll/layout';
import { chunkEntities, mapToScheme, type Chunk } from '../conll/sequence';
import { clip } from '../text/clip';
import { describeSpan, spacelessType, type AnnotatedText, type EntitySpan, type Problem, type Reading, type TokenSpan } from './model';
import { sentenceWords, touchedWords, type TextKind } from './words';

/**
 * One record a sentence. A token without a usable tag reads as O, one holding a space cannot come back whole, and an
 * untyped entity has no label to carry: all are problems.
 */
export function documentsFromBio(sentences: readonly TokenLine[][], layout: Layout, file: string): Reading {
  const reading: Reading = { documents: [], problems: [], notes: [] };
  for (const sentence of sentences) {
    const tokens: TokenSpan[] = [];
    let text = '';
    for (const token of sentence) {
      const word = wordOf(token);
      const location = `${file}:${token.line.number + 1}`;
      if (word === '' || /\s/.test(word)) reading.problems.push({ location, message: `token '${clip(word)}' is empty or holds a space: the text cannot give it back as one token` });
      if (!token.tagParse) reading.problems.push({ location, message: 'no tag column; read as O' });
      else if (!token.tagParse.ok) reading.problems.push({ location, message: `${token.tagParse.reason}; read as O` });
      if (text) text += ' ';
      tokens.push({ start: text.length, end: text.length + word.length });
      text += word;
    }
    const chunks = chunkEntities(mapToScheme(sentence.map(tagOf), layout.scheme));
    for (const c of chunks) if (!c.type) reading.problems.push({ location: `${file}:${sentence[c.start].line.number + 1}`, message: 'an untyped entity (B, I without a type): the other formats need a type; skipped' });
    const spans = chunks.filter((c) => c.type).map((c) => ({ start: tokens[c.start].start, end: tokens[c.end - 1].end, type: c.type }));
    reading.documents.push({ text, spans, tokens, location: `${file}:${sentence[0].line.number + 1}` });
  }
  if (layout.columnCount > 2) reading.notes.push(`only the word (first column) and the tag are kept of the ${layout.columnCount} columns`);
  return reading;
}

export interface BioWriting {
  text: string;
  problems: Problem[];
  notes: string[];
  sentences: number;
  entities: number;
}

/**
 * The records as BIO, `word<TAB>tag` lines and a blank line after each sentence. A span must cover whole words: one
 * that starts or ends inside a word is tagged on the words it touches, and said so. BIO holds no overlapping entities:
 * of spans sharing a word the first, then the longest, is kept. A sentence break never falls inside an entity.
 */
export function writeBio(documents: readonly AnnotatedText[], kind: TextKind, scheme: 'IOB2' | 'IOBES'): BioWriting {
  const writing: BioWriting = { text: '', problems: [], notes: [], sentences: 0, entities: 0 };
  const parts: string[] = [];
  let duplicates = 0;
  for (const document of documents) {
    const split = sentenceWords(document, kind);
    const words = split.flat();
    const sentenceOf = split.flatMap((sentence, s) => sentence.map(() => s));
    const kept: (Chunk & { span: EntitySpan })[] = [];
    // Sentences an entity reaches into join the one it starts in: a sentence break never falls inside an entity.
    const joinsPrevious = new Array<boolean>(split.length).fill(false);
    for (const { chunk, span } of chunksOf(document, words, writing.problems)) {
      const previous = kept[kept.length - 1];
      if (previous && chunk.start < previous.end) {
        if (previous.start === chunk.start && previous.end === chunk.end && previous.type === chunk.type) duplicates++;
        else writing.problems.push({ location: span.origin ?? document.location, message: `span ${describeSpan(document, span)} overlaps ${describeSpan(document, previous.span)}, which is kept: BIO holds no nested or overlapping entities; skipped` });
        continue;
      }
      kept.push({ ...chunk, span });
      for (let s = sentenceOf[chunk.start] + 1; s <= sentenceOf[chunk.end - 1]; s++) joinsPrevious[s] = true;
    }
    let next = 0;
    for (let at = 0; at < words.length; ) {
      let end = at + 1;
      while (end < words.length && (sentenceOf[end] === sentenceOf[end - 1] || joinsPrevious[sentenceOf[end]])) end++;
      const chunks: Chunk[] = [];
      for (; next < kept.length && kept[next].start < end; next++) chunks.push({ type: kept[next].type, start: kept[next].start - at, end: kept[next].end - at });
      const tags = tagsForChunks(chunks, end - at, scheme);
      parts.push(bioSentence(words.slice(at, end).map((w) => document.text.slice(w.start, w.end)), tags));
      writing.sentences++;
      writing.entities += chunks.length;
      at = end;
    }
  }
  if (duplicates) writing.notes.push(`${duplicates} span(s) repeating another with the same words and type written once`);
  writing.text = parts.join('');
  return writing;
}

/** The spans of a record as word ranges, by first word and then longest; spans that cover no word are problems. */
function chunksOf(document: AnnotatedText, words: readonly TokenSpan[], problems: Problem[]): { chunk: Chunk; span: EntitySpan }[] {
  const chunks: { chunk: Chunk; span: EntitySpan }[] = [];
  for (const span of document.spans) {
    const location = span.origin ?? document.location;
    const touched = touchedWords(words, span);
    if (!touched) {
      problems.push({ location, message: `span ${describeSpan(document, span)} covers no word; skipped` });
      continue;
    }
    const { first, last } = touched;
    if (!touched.aligned) {
      const covered = document.text.slice(words[first].start, words[last].end);
      problems.push({ location, message: `span ${describeSpan(document, span)} starts or ends inside a word, which BIO cannot show: tagged on the word(s) it touches, '${clip(covered)}'` });
    }
    chunks.push({ chunk: { type: spacelessType(span.type, 'a BIO tag', location, problems), start: first, end: last + 1 }, span });
  }
  return chunks.sort((a, b) => a.chunk.start - b.chunk.start || b.chunk.end - a.chunk.end);
}
