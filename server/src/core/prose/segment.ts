/**
 * Sentences and words of prose with their document offsets. Words are tokenized as the biomedical corpora are:
 * runs of letters and digits, and every other visible character on its own ("5-FU" → 5 - FU).
 */
import { ownCopy } from '../text/ownCopy';
import { firstWhere } from '../text/search';
import type { TextChange } from '../text/textChange';
import { maskBlocks, maskInline, type ProseFormat } from './mask';

export interface Word {
  text: string;
  /** UTF-16 offsets in the document. */
  start: number;
  end: number;
}

/**
 * A sentence: words kept relative to an offset, so that a sentence reused after an edit elsewhere moves by
 * changing one number; absolute word offsets are made only when asked for.
 */
export class ProseSentence {
  private absolute?: Word[];

  constructor(
    readonly offset: number,
    private readonly relative: readonly Word[],
    /** The words' texts, the same array for as long as the paragraph is unchanged (a cache key for the engine). */
    readonly texts: readonly string[],
  ) {}

  get start(): number {
    return this.offset + this.relative[0].start;
  }

  get end(): number {
    return this.offset + this.relative[this.relative.length - 1].end;
  }

  /** Offsets of word i, without making the absolute words (an edit moves every sentence after it). */
  startOf(i: number): number {
    return this.offset + this.relative[i].start;
  }

  endOf(i: number): number {
    return this.offset + this.relative[i].end;
  }

  get words(): Word[] {
    this.absolute ??= this.relative.map((w) => ({ text: w.text, start: w.start + this.offset, end: w.end + this.offset }));
    return this.absolute;
  }

  movedBy(delta: number): ProseSentence {
    return new ProseSentence(this.offset + delta, this.relative, this.texts);
  }
}

/** Abbreviations whose final period does not end a sentence (lower-cased, without the final period). */
const ABBREVIATIONS = new Set([
  'e.g', 'i.e', 'fig', 'figs', 'al', 'vs', 'v', 'cf', 'viz', 'approx', 'ca', 'c', 'resp', 'no', 'nos', 'vol', 'pp', 'p',
  'eq', 'eqs', 'ref', 'refs', 'tab', 'suppl', 'dr', 'mr', 'mrs', 'ms', 'prof', 'st', 'jr', 'sr', 'inc', 'ltd', 'co',
  'corp', 'dept', 'univ', 'sp', 'spp', 'subsp', 'var', 'cv', 'str', 'i.v', 'i.m', 'i.p', 's.c', 'p.o', 'b.i.d', 't.i.d',
  'q.i.d', 'q.d', 'h.s', 'p.r.n', 'q.o.d', 'a.m', 'p.m', 'min', 'max', 'avg', 'mol', 'wt', 'conc', 'temp', 'exp', 'est',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'u.s', 'e.u', 'u.k',
]);

/** Words and periods in the longest abbreviation ("p.r.n" has five). */
const LONGEST_ABBREVIATION = Math.max(...[...ABBREVIATIONS].map((a) => a.split('.').length * 2 - 1));

const WORD = /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;

export function segmentProse(text: string, format: ProseFormat): ProseSentence[] {
  return new ProseSegmenter().segment(text, format);
}

/** A paragraph of a text: its offsets and its sentences, with offsets from its start. */
export interface Block {
  start: number;
  end: number;
  paragraph: Paragraph;
}

/** A segmented text: its paragraphs and their sentences in order, and what the last edit replaced. */
export interface Segmentation {
  blocks: readonly Block[];
  sentences: readonly ProseSentence[];
  /** The index in `sentences` of each block's first sentence. */
  firstSentences: readonly number[];
  /** From `edited`: sentences [from, from + inserted) replace [from, from + deleted) of the text before the edit. */
  delta?: { from: number; deleted: number; inserted: number };
}

/**
 * Segments repeatedly edited documents: the sentences of a paragraph are kept between calls and reused while
 * its text is unchanged, so an edit masks and segments only the paragraphs it touched.
 */
export class ProseSegmenter {
  /** Each paragraph seen in the last full pass, by its text (block masks applied): an owned copy of that text and
   * its sentences, offsets relative to the paragraph's start. */
  private paragraphs = new Map<string, Paragraph>();
  /** The last full pass's text and result: a first pass segments while the model loads, then asks again. */
  private last?: { text: string; format: ProseFormat; segmentation: Segmentation };

  segment(text: string, format: ProseFormat): ProseSentence[] {
    return this.segmentation(text, format).sentences as ProseSentence[];
  }

  segmentation(text: string, format: ProseFormat): Segmentation {
    if (this.last?.text === text && this.last.format === format) return this.last.segmentation;
    const masked = maskBlocks(text, format);
    const seen = new Map<string, Paragraph>();
    const blocks = [...blocksOf(text, format)].map(({ start, end }) => {
      const paragraph = this.paragraph(masked.slice(start, end), format, seen);
      seen.set(paragraph.text, paragraph);
      return { start, end, paragraph };
    });
    this.paragraphs = seen;
    const segmentation = { ...assemble(blocks, [], [], 0, 0), delta: undefined };
    this.last = { text, format, segmentation };
    return segmentation;
  }

  /**
   * The segmentation of `text`, which is `previous`'s text with `change` made. In plain text a paragraph ends at a
   * blank line, which the change can make or join only next to the paragraphs it touches: those and one on either
   * side are segmented again, the others kept (moved by the change's length). Markdown's blocks (code, front matter)
   * span paragraphs: a full pass.
   */
  edited(previous: Segmentation, text: string, change: TextChange, format: ProseFormat): Segmentation {
    if (format !== 'plaintext' || previous.blocks.length === 0) return this.segmentation(text, format);
    const old = previous.blocks;
    const first = Math.max(0, firstWhere(old.length, (i) => old[i].end >= change.start) - 1);
    const last = Math.min(old.length - 1, firstWhere(old.length, (i) => old[i].start > change.end));
    const shift = change.length - (change.end - change.start);
    const from = old[first].start;
    const to = old[last].end + shift;
    // The paragraphs next to the change are usually unchanged: kept, with their word arrays (the engine's cache keys).
    const nearby = new Map(old.slice(first, last + 1).map((block) => [block.paragraph.text, block.paragraph]));
    const region = [...blocksOf(text.slice(from, to), format)].map(({ start, end }) => ({
      start: from + start,
      end: from + end,
      paragraph: this.paragraph(text.slice(from + start, from + end), format, nearby),
    }));
    const after = old.slice(last + 1).map((block) => ({ start: block.start + shift, end: block.end + shift, paragraph: block.paragraph }));
    return assemble([...old.slice(0, first), ...region, ...after], previous.sentences, previous.firstSentences, first, shift, last + 1);
  }

  /** The paragraph of this (masked) text: one seen before, or segmented now. */
  private paragraph(text: string, format: ProseFormat, seen?: Map<string, Paragraph>): Paragraph {
    const known = this.paragraphs.get(text) ?? seen?.get(text);
    if (known) return known;
    // Kept between calls: a copy, so that the paragraph does not hold this version of the document.
    const own = ownCopy(text);
    return { text: own, sentences: segmentParagraph(maskInline(own, format)) };
  }
}

/**
 * The segmentation of `blocks`, where blocks [0, kept) and their sentences are those of the previous one, and the
 * previous blocks from `resumed` on follow the new ones, moved by `shift`.
 */
function assemble(blocks: Block[], previous: readonly ProseSentence[], previousFirsts: readonly number[], kept: number, shift: number, resumed = previousFirsts.length): Required<Segmentation> {
  const keptSentences = kept < previousFirsts.length ? previousFirsts[kept] : previous.length;
  const resumedSentences = resumed < previousFirsts.length ? previousFirsts[resumed] : previous.length;
  const sentences = previous.slice(0, keptSentences);
  const firstSentences = previousFirsts.slice(0, kept);
  const moved = blocks.length - (previousFirsts.length - resumed);
  for (let b = kept; b < moved; b++) {
    firstSentences.push(sentences.length);
    for (const sentence of blocks[b].paragraph.sentences) sentences.push(sentence.movedBy(blocks[b].start));
  }
  const inserted = sentences.length - keptSentences;
  for (let b = resumed; b < previousFirsts.length; b++) firstSentences.push(previousFirsts[b] - resumedSentences + keptSentences + inserted);
  for (let s = resumedSentences; s < previous.length; s++) sentences.push(shift === 0 ? previous[s] : previous[s].movedBy(shift));
  return { blocks, sentences, firstSentences, delta: { from: keptSentences, deleted: resumedSentences - keptSentences, inserted } };
}

interface Paragraph {
  text: string;
  sentences: ProseSentence[];
}

/** Sentences of one paragraph of masked text (or of any text without line breaks), with offsets from its start. */
export function segmentParagraph(masked: string): ProseSentence[] {
  const sentences: ProseSentence[] = [];
  let words: Word[] = [];
  const flush = () => {
    if (words.length) sentences.push(new ProseSentence(0, words, words.map((w) => w.text)));
    words = [];
  };
  for (const m of masked.matchAll(WORD)) {
    words.push({ text: m[0], start: m.index!, end: m.index! + m[0].length });
    if (endsSentence(masked, words)) flush();
  }
  flush();
  return sentences;
}

/** Paragraphs: text between blank lines; in Markdown also each heading, list item, quote and table row. */
function* blocksOf(text: string, format: ProseFormat): Generator<{ start: number; end: number }> {
  // The heading test looks behind a line break it has matched: looking behind first ran at every position of a line, in
  // quadratic time on long lines.
  const breaks =
    format === 'markdown'
      ? /\r?\n[ \t]*(?:\r?\n[ \t]*)+|\r?\n(?= {0,3}(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\|))|\r?\n(?<=^ {0,3}#{1,6}\s[^\n]*\r?\n)/gm
      : /\r?\n[ \t]*(?:\r?\n[ \t]*)+/g;
  let start = 0;
  for (let m = breaks.exec(text); m; m = breaks.exec(text)) {
    yield { start, end: m.index };
    start = m.index + m[0].length;
  }
  yield { start, end: text.length };
}

function endsSentence(masked: string, words: Word[]): boolean {
  const last = words[words.length - 1];
  if (!/^[.!?]$/.test(last.text)) return false;
  const after = masked.slice(last.end, last.end + 3);
  // A period followed by a digit or letter (2.5, e.g) is inside a word; closing quotes and brackets may follow.
  const next = /^["')\]]*(\s+)(\S)?/u.exec(after.padEnd(3, ' '));
  if (!next) return false;
  if (next[2] && /[\p{Ll}]/u.test(next[2])) return false;
  if (last.text !== '.') return true;
  return !isAbbreviation(words);
}

/** The word(s) before a period form an abbreviation: e.g. (e . g .), i.v., Fig., et al., or an initial (J.). */
function isAbbreviation(words: Word[]): boolean {
  let i = words.length - 2;
  if (i < 0) return false;
  const prev = words[i];
  if (prev.end !== words[i + 1].start) return false;
  const parts = [prev.text];
  // Join dotted forms written without spaces: "i . v ." → "i.v".
  while (i >= 2 && words[i - 1].text === '.' && words[i - 1].end === words[i].start && words[i - 2].end === words[i - 1].start) {
    // A run longer than every abbreviation is none; walking all of a long one ("a.a.a…") took quadratic time.
    if (parts.length >= LONGEST_ABBREVIATION) return false;
    parts.unshift(words[i - 2].text, '.');
    i -= 2;
  }
  const abbreviation = parts.join('').toLowerCase();
  if (ABBREVIATIONS.has(abbreviation)) return true;
  return /^\p{Lu}$/u.test(prev.text) && parts.length === 1;
}
