/**
 * Sentences and words of prose with their document offsets. Words are tokenized as the biomedical corpora are:
 * runs of letters and digits, and every other visible character on its own ("5-FU" → 5 - FU).
 */
import { ownCopy } from '../text/ownCopy';
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

/**
 * Segments repeatedly edited documents: the sentences of a paragraph are kept between calls and reused while
 * its text is unchanged, so an edit masks and segments only the paragraphs it touched.
 */
export class ProseSegmenter {
  /** Each paragraph seen in the last call, by its text (block masks applied): an owned copy of that text and its
   * sentences, offsets relative to the paragraph's start. */
  private paragraphs = new Map<string, Paragraph>();

  segment(text: string, format: ProseFormat): ProseSentence[] {
    const masked = maskBlocks(text, format);
    const sentences: ProseSentence[] = [];
    const seen = new Map<string, Paragraph>();
    for (const block of blocks(text, format)) {
      const slice = masked.slice(block.start, block.end);
      let paragraph = this.paragraphs.get(slice) ?? seen.get(slice);
      if (!paragraph) {
        // Kept between calls: a copy, so that the paragraph does not hold this version of the document.
        const own = ownCopy(slice);
        paragraph = { text: own, sentences: segmentParagraph(maskInline(own, format)) };
      }
      seen.set(paragraph.text, paragraph);
      for (const sentence of paragraph.sentences) sentences.push(sentence.movedBy(block.start));
    }
    this.paragraphs = seen;
    return sentences;
  }
}

interface Paragraph {
  text: string;
  sentences: ProseSentence[];
}

/** Sentences of one paragraph of masked text, with offsets from its start. */
function segmentParagraph(masked: string): ProseSentence[] {
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
function* blocks(text: string, format: ProseFormat): Generator<{ start: number; end: number }> {
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
