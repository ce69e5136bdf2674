/** One file annotated into an output: a BIO file streamed (tag appended as a column, or JSON lines), prose read whole (JSON lines or BIO). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITY_TYPES } from '@common/settings';
import { bioSentence } from '../core/conll/write';
import { readCorpus, scanLayout, wordsOf, type CorpusItem } from '../core/conll/corpus';
import { isDocstart } from '../core/conll/columns';
import type { Layout } from '../core/conll/layout';
import type { NerEngine, SentencePrediction } from '../core/ner/engine';
import { chooseTypes, comparedTypes } from '../core/ner/entityTypes';
import type { ProseFormat } from '../core/prose/mask';
import { segmentProse, type ProseSentence } from '../core/prose/segment';
import { settingsFromArgs, type ParsedArgs } from './args';
import { bioScope, type SentenceRange } from '../core/ner/abbreviationTypes';
import { predictDocument, typesFromArgs } from './model';
import type { Output } from './output';

export const BIO_EXTENSIONS = new Set(['.bio', '.iob', '.iob2', '.bioes', '.iobes', '.bilou', '.conll', '.tsv']);
/** Lines and sentences sent to the engine at once: enough to batch by length, little enough to stream. */
const CHUNK = 512;
/** A block waits this long for a -DOCSTART- mark to end at, so that a document's abbreviations stay in one block. */
const LONGEST_BLOCK = 4 * CHUNK;

export const ANNOTATE_FORMATS = { enum: ['conll', 'jsonl'], default: 'conll' } as const;
export type AnnotateFormat = (typeof ANNOTATE_FORMATS.enum)[number];
export const INPUT_KINDS = ['bio', 'text', 'markdown'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** What a file is read as without --input: BIO by its extension, Markdown by its own, else plain text. */
export function inputKindOf(file: string): InputKind {
  return BIO_EXTENSIONS.has(path.extname(file).toLowerCase()) ? 'bio' : /\.(md|markdown)$/i.test(file) ? 'markdown' : 'text';
}

/** Told after each block of sentences: how many of the file's are done, and their words. */
export type SentencesDone = (done: number, total: number, words: number) => void;

/**
 * Annotates one file into `output`, a BIO file streamed in blocks and prose read whole. Types without --types: a BIO
 * file's own when it annotates some, else the types the editor shows in prose.
 */
export async function annotateFile(file: string, input: InputKind, engine: NerEngine, args: ParsedArgs, format: AnnotateFormat, output: Output, onSentences: SentencesDone): Promise<void> {
  if (input !== 'bio') {
    const text = readFileSync(file, 'utf8');
    return annotateProse(text, input === 'markdown' ? 'markdown' : 'plaintext', engine, proseRequest(engine, args), format, output, onSentences);
  }
  const layout = await scanLayout(file, settingsFromArgs(args.values));
  const types = typesFromArgs(args.values, engine, comparedTypes(layout.typeCounts.keys(), engine.entityTypes) ?? shownTypes(engine));
  return annotateBio(file, layout, engine, { types, flags: args.flags }, format, output, onSentences);
}

/** What prose is annotated for: --types, else the types the editor shows in prose. */
export function proseRequest(engine: NerEngine, args: ParsedArgs): Request {
  return { types: typesFromArgs(args.values, engine, shownTypes(engine)), flags: args.flags };
}

const shownTypes = (engine: NerEngine) => chooseTypes(DEFAULT_ENTITY_TYPES, engine.entityTypes).types;

/** What is asked of the model: the types (undefined: every type) and the flags (`--no-abbreviations`). */
export interface Request {
  types: ReadonlySet<string> | undefined;
  flags: Set<string>;
}

/**
 * Streams the file in blocks: from CHUNK items on, a block ends at the next -DOCSTART- mark, and at LONGEST_BLOCK
 * items in a file without marks. The abbreviations a block defines apply within it.
 */
async function annotateBio(file: string, layout: Layout, engine: NerEngine, request: Request, format: AnnotateFormat, output: Output, onSentences: SentencesDone): Promise<void> {
  const separator = layout.separator === 'tab' ? '\t' : ' ';
  let pending: CorpusItem[] = [];
  let done = 0;
  let words = 0;
  const flush = async () => {
    const sentences = pending.filter((i): i is Extract<CorpusItem, { kind: 'sentence' }> => i.kind === 'sentence');
    const docstarts = pending.flatMap((i) => (i.kind === 'line' && isDocstart(i.line.text) ? [i.line.number] : []));
    const scope = bioScope(sentences.map((s) => s.tokens[0].line.number), docstarts);
    const predictions = await predictDocument(engine, sentences.map((s) => wordsOf(s.tokens)), request.types, scope, request.flags);
    let k = 0;
    // One write per chunk: awaiting it stops the run at the first failed write (a full disk).
    let text = '';
    for (const item of pending) {
      if (item.kind === 'line') {
        if (format === 'conll') text += item.line.text + '\n';
        continue;
      }
      const prediction = predictions[k++];
      if (format === 'conll') text += item.tokens.map((t, i) => `${t.line.text}${separator}${prediction.labels[i]}\n`).join('');
      else text += JSON.stringify(sentenceJson(wordsOf(item.tokens), prediction)) + '\n';
    }
    await output.write(text);
    done += sentences.length;
    words += wordCount(sentences.map((s) => s.tokens));
    onSentences(done, layout.sentences, words);
    pending = [];
  };
  for await (const item of readCorpus(file, layout)) {
    const docstart = item.kind === 'line' && isDocstart(item.line.text);
    if (docstart && pending.length >= CHUNK) await flush();
    pending.push(item);
    if (pending.length >= LONGEST_BLOCK && item.kind === 'sentence') await flush();
  }
  // The empty "line" after a file's final line break is not a line of output.
  const last = pending[pending.length - 1];
  if (last?.kind === 'line' && last.line.text === '') pending.pop();
  await flush();
}

function sentenceJson(words: string[], prediction: SentencePrediction) {
  return {
    tokens: words,
    labels: prediction.labels,
    entities: prediction.spans.map((s) => ({ start: s.start, end: s.end, type: s.type, text: words.slice(s.start, s.end).join(' '), confidence: round(s.confidence) })),
  };
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** Prose read whole: its sentences as BIO, or one JSON line each with character offsets. */
async function annotateProse(text: string, proseFormat: ProseFormat, engine: NerEngine, request: Request, format: AnnotateFormat, output: Output, onSentences: SentencesDone): Promise<void> {
  const [{ sentences, predictions }] = await predictProse([{ text, format: proseFormat }], engine, request);
  const lines = sentences.map((sentence, i) => {
    const prediction = predictions[i];
    if (format === 'conll') return bioSentence(sentence.texts, prediction.labels);
    return JSON.stringify({ start: sentence.start, end: sentence.end, text: text.slice(sentence.start, sentence.end), entities: proseEntities(text, sentence, prediction) }) + '\n';
  });
  await output.write(lines.join(''));
  onSentences(sentences.length, sentences.length, wordCount(sentences.map((s) => s.texts)));
}

export interface ProseText {
  text: string;
  format: ProseFormat;
}

/** The sentences of each text and the model's predictions of them; each text is a document of its own for abbreviations. */
export async function predictProse(texts: readonly ProseText[], engine: NerEngine, request: Request): Promise<{ sentences: ProseSentence[]; predictions: readonly SentencePrediction[] }[]> {
  const segmented = texts.map((t) => segmentProse(t.text, t.format));
  const documents: SentenceRange[] = [];
  for (const sentences of segmented) {
    const start = documents.at(-1)?.end ?? 0;
    documents.push({ start, end: start + sentences.length });
  }
  // One call for all the texts: the engine batches their sentences together.
  const predictions = await predictDocument(engine, segmented.flat().map((s) => s.texts), request.types, { documents }, request.flags);
  return segmented.map((sentences, i) => ({ sentences, predictions: predictions.slice(documents[i].start, documents[i].end) }));
}

/** A prose sentence's entities with character offsets into the whole `text`. */
export function proseEntities(text: string, sentence: ProseSentence, prediction: SentencePrediction) {
  const { words } = sentence;
  return prediction.spans.map((s) => ({
    start: words[s.start].start,
    end: words[s.end - 1].end,
    type: s.type,
    text: text.slice(words[s.start].start, words[s.end - 1].end),
    confidence: round(s.confidence),
  }));
}

/** The words of some sentences (word arrays or token lines). */
export const wordCount = (sentences: readonly (readonly unknown[])[]) => sentences.reduce((sum, words) => sum + words.length, 0);
