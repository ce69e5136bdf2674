/**
 * Sentences and words of a record's text, for the formats that give no tokens: prose is split as the engine splits
 * it (core/prose/segment), pre-tokenized text (what `bioner convert` writes from BIO) at its spaces and line breaks.
 */
import { segmentParagraph } from '../prose/segment';
import { firstWhere } from '../text/search';
import type { AnnotatedText, TokenSpan } from './model';

export type TextKind = 'prose' | 'pretokenized';
export const TEXT_KINDS = { enum: ['auto', 'prose', 'pretokenized'], default: 'auto' } as const;
export type TextKindSetting = (typeof TEXT_KINDS.enum)[number];

/**
 * The sentences of a text, each a list of words. Prose: the engine's sentence and word splitter, every line break
 * ending a sentence too (as brat's own converter reads its texts). Pre-tokenized: one sentence a line, one word
 * between spaces — the corpora's tokens ("1.25", "e.g.", "B-lymphocyte") are kept whole.
 */
export function sentencesOf(text: string, kind: TextKind): TokenSpan[][] {
  const sentences: TokenSpan[][] = [];
  for (const line of text.matchAll(/[^\r\n]+/g)) {
    const at = line.index!;
    if (kind === 'pretokenized') {
      const words = [...line[0].matchAll(/\S+/g)].map((m) => ({ start: at + m.index!, end: at + m.index! + m[0].length }));
      if (words.length) sentences.push(words);
      continue;
    }
    for (const sentence of segmentParagraph(line[0])) sentences.push(sentence.words.map((w) => ({ start: at + w.start, end: at + w.end })));
  }
  return sentences;
}

/** The words of a text as the engine splits it (runs of letters and digits, every other character alone). */
export function splitWords(text: string): string[] {
  return sentencesOf(text, 'prose').flatMap((sentence) => sentence.map((w) => text.slice(w.start, w.end)));
}

/** The record's words in sentences: its own tokens when it has them (cut where the text's sentences start), else split. */
export function sentenceWords(document: AnnotatedText, kind: TextKind): TokenSpan[][] {
  const split = sentencesOf(document.text, kind);
  if (!document.tokens) return split;
  const sentences: TokenSpan[][] = [[]];
  let next = 1;
  for (const token of document.tokens) {
    // spaCy's tokens for runs of spaces are no words.
    if (!/\S/.test(document.text.slice(token.start, token.end))) continue;
    while (next < split.length && token.start >= split[next][0].start) {
      next++;
      if (sentences[sentences.length - 1].length) sentences.push([]);
    }
    sentences[sentences.length - 1].push(token);
  }
  return sentences.filter((words) => words.length);
}

/**
 * Pre-tokenized unless some text reads as prose: a comma, semicolon or colon attached to a word ("cells,"), or a line
 * ending in a word with its period ("cells."). No token of the nine corpora in shared/data is either; prose has both.
 */
export function detectTextKind(texts: Iterable<string>): TextKind {
  for (const text of texts) {
    for (const line of text.matchAll(/[^\r\n]+/g)) {
      if (/\S[,;:](?:\s|$)|\S[.!?]\s*$/.test(line[0])) return 'prose';
    }
  }
  return 'pretokenized';
}

/** The text kind a setting asks for, detected from the records' texts on `auto`. */
export function resolveTextKind(setting: TextKindSetting, documents: readonly AnnotatedText[]): TextKind {
  return setting === 'auto' ? detectTextKind(documents.map((d) => d.text)) : setting;
}

/**
 * The words a span touches, [first, last] inclusive, and whether it starts and ends where they do; undefined when it
 * covers no word (only spaces). `words` are in text order.
 */
export function touchedWords(words: readonly TokenSpan[], span: TokenSpan): { first: number; last: number; aligned: boolean } | undefined {
  const first = firstWhere(words.length, (i) => words[i].end > span.start);
  if (first >= words.length || words[first].start >= span.end) return undefined;
  let last = first;
  while (last + 1 < words.length && words[last + 1].start < span.end) last++;
  return { first, last, aligned: words[first].start === span.start && words[last].end === span.end };
}
