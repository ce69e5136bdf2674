/** Prose semantic tokens kept per version: an edit encodes again only the sentences whose predictions changed. */
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, tokenTypeForEntity } from '@common/semanticTokens';
import type { SentencePrediction } from '../core/ner/engine';
import type { ProseSentence } from '../core/prose/segment';
import type { LineIndex } from '../core/text/lines';

/** What the tokens are made of. */
export interface TokenSource {
  index: LineIndex;
  sentences: readonly ProseSentence[];
  predictions: readonly SentencePrediction[];
}

/** Sentences [from, from + inserted) replaced [from, from + deleted) of the version before. */
export interface SentenceDelta {
  from: number;
  deleted: number;
  inserted: number;
}

/** A version's tokens in LSP's relative encoding (five numbers each), with where each sentence's begin. */
interface Encoded {
  data: number[];
  /** Per sentence, the index in `data` of its first token; one more at the end. */
  firsts: Int32Array;
  /** Per sentence, the start of its last token, from the sentence's offset (unchanged when the sentence moves). */
  lasts: Int32Array;
  threshold: number;
  predictions: readonly SentencePrediction[];
}

/**
 * A version's tokens, made when first asked: from the previous version's, when those were made, by copying the runs
 * of sentences whose predictions are the same objects. Only the first token of a copied run moves (the encoding is
 * relative, and the text between two kept sentences is unchanged).
 */
export class ProseTokens {
  private encoded?: Encoded;

  constructor(private base?: { previous: ProseTokens; delta: SentenceDelta }) {
    // One link back: a version whose tokens nobody asked for is not spliced, so versions do not hold a chain of others.
    if (base) base.previous.base = undefined;
  }

  data(source: TokenSource, threshold: number): number[] {
    if (this.encoded?.threshold !== threshold) {
      const previous = this.base?.previous.encoded;
      this.encoded = encode(source, threshold, previous?.threshold === threshold ? { previous, delta: this.base!.delta } : undefined);
      this.base = undefined;
    }
    return this.encoded.data;
  }
}

const PREDICTED = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('predicted');
const LOW_CONFIDENCE = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('lowConfidence');
const BEGIN = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('begin');

/** The legend index of an entity type's token, made once per type. */
const tokenIndices = new Map<string, number>();
function tokenIndex(entityType: string): number {
  let index = tokenIndices.get(entityType);
  if (index === undefined) tokenIndices.set(entityType, (index = SEMANTIC_TOKEN_TYPES.indexOf(tokenTypeForEntity(entityType))));
  return index;
}

function encode(source: TokenSource, threshold: number, base?: { previous: Encoded; delta: SentenceDelta }): Encoded {
  const { sentences, predictions, index } = source;
  const out = new Encoder();
  const firsts = new Int32Array(sentences.length + 1);
  const lasts = new Int32Array(sentences.length);
  const before = base && ((s: number) => (s < base.delta.from ? s : s < base.delta.from + base.delta.inserted ? -1 : s - base.delta.inserted + base.delta.deleted));
  for (let s = 0; s < sentences.length; ) {
    const o = before ? before(s) : -1;
    if (o < 0 || base!.previous.predictions[o] !== predictions[s]) {
      firsts[s] = out.length;
      lasts[s] = encodeSentence(source, s, threshold, out);
      s++;
      continue;
    }
    const { previous } = base!;
    let end = s + 1;
    while (end < sentences.length && before!(end) === o + end - s && previous.predictions[o + end - s] === predictions[end]) end++;
    const shift = out.length - previous.firsts[o];
    for (let k = s; k < end; k++) firsts[k] = previous.firsts[o + k - s] + shift;
    lasts.set(previous.lasts.subarray(o, o + end - s), s);
    let first = s;
    while (first < end && predictions[first].spans.length === 0) first++;
    let last = end - 1;
    while (last > first && predictions[last].spans.length === 0) last--;
    if (first < end) {
      const firstAt = index.positionAt(sentences[first].startOf(predictions[first].spans[0].start));
      out.copy(previous.data, previous.firsts[o], previous.firsts[o + end - s], firstAt, index.positionAt(sentences[last].offset + lasts[last]));
    }
    s = end;
  }
  firsts[sentences.length] = out.length;
  return { data: out.data(), firsts, lasts, threshold, predictions };
}

/** Each predicted entity's text, split at line breaks (a semantic token cannot span lines); returns `lasts`'s entry. */
function encodeSentence({ index, sentences, predictions }: TokenSource, s: number, threshold: number, out: Encoder): number {
  const sentence = sentences[s];
  let last = -1;
  for (const span of predictions[s].spans) {
    const type = tokenIndex(span.type);
    let modifiers = PREDICTED | BEGIN | (span.confidence < threshold ? LOW_CONFIDENCE : 0);
    // One line search per run of words on one line: the next word is on it while it starts before the next line.
    let runStart = sentence.startOf(span.start);
    let from = index.positionAt(runStart);
    for (let w = span.start; w < span.end; w++) {
      if (w + 1 < span.end && sentence.startOf(w + 1) < (index.starts[from.line + 1] ?? Infinity)) continue;
      out.push(from.line, from.character, sentence.endOf(w) - runStart, type, modifiers);
      last = runStart - sentence.offset;
      modifiers &= ~BEGIN;
      if (w + 1 < span.end) from = index.positionAt((runStart = sentence.startOf(w + 1)));
    }
  }
  return last;
}

type Position = { line: number; character: number };

/**
 * LSP's relative encoding, with the position of the last token pushed. Copied runs are sliced and joined at the end:
 * array copies, fast even before the code is optimised (a loop of pushes took 6-8 ms per edit for 10,000 tokens).
 */
class Encoder {
  private parts: number[][] = [];
  private fresh: number[] = [];
  length = 0;
  private line = 0;
  private character = 0;

  push(line: number, character: number, length: number, type: number, modifiers: number): void {
    this.fresh.push(line - this.line, line === this.line ? character - this.character : character, length, type, modifiers);
    this.length += 5;
    this.line = line;
    this.character = character;
  }

  /** Tokens [start, end) of `from`, another encoding, whose first one is at `first` and last one at `last`. */
  copy(from: readonly number[], start: number, end: number, first: Position, last: Position): void {
    this.push(first.line, first.character, from[start + 2], from[start + 3], from[start + 4]);
    if (end - start > 5) {
      this.parts.push(this.fresh, from.slice(start + 5, end));
      this.fresh = [];
      this.length += end - start - 5;
    }
    this.line = last.line;
    this.character = last.character;
  }

  data(): number[] {
    return this.parts.length === 0 ? this.fresh : ([] as number[]).concat(...this.parts, this.fresh);
  }
}
