/** Seeded randomness for the fuzzers: a small PRNG and generators of awkward BIO/CoNLL and prose documents. */
import { readFileSync } from 'node:fs';
import { EXCERPTS, sharedCorpusFiles } from './fixtures';

/** mulberry32: fast and varied enough for inputs; the same seed replays the same inputs. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Mostly small, sometimes up to `max`: most bugs need few lines, a few need many. */
  small(max: number): number {
    return Math.floor(max ** this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** A case's own seed from the run's seed, its input kind and its number, so that one case replays alone. */
export function caseSeed(seed: number, kind: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const c of `${kind}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** How much to fuzz: BIONER_FUZZ_CASES (per file) and BIONER_FUZZ_SEED, with the file's defaults. */
export function fuzzConfig(defaultCases: number): { cases: number; seed: number } {
  const read = (name: string, fallback: number) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not '${raw}'`);
    return value;
  };
  return { cases: read('BIONER_FUZZ_CASES', defaultCases), seed: read('BIONER_FUZZ_SEED', 20260901) };
}

/** Splits `cases` over weighted kinds, at least one case each. */
export function casesPerKind<K extends { name: string; weight: number }>(kinds: readonly K[], cases: number): [K, number][] {
  const total = kinds.reduce((n, k) => n + k.weight, 0);
  return kinds.map((k) => [k, Math.max(1, Math.round((cases * k.weight) / total))]);
}

/** Pieces that break naive text handling: separators, line breaks, invisible and astral characters, lone surrogates. */
export const AWKWARD = [
  '\t', ' ', '  ', '\r', '\n', '\r\n', '\n\r', '\u00a0', '\u00ad', '\u200b', '\u200d', '\u2028', '\u202e', '\ufeff', '\u3000',
  '\u0000', '\u001f', '\u007f', '\u0085', '\u0301', '\u0308\u0323', '\ud83e\uddec', '\ud835\udefc', '\ud83d\udc68\u200d\ud83d\udc69',
  '\u2764\ufe0f', '\ud800', '\udfff', '\ufffd', '\uffff', 'é', 'ß', '中', 'İ', '-', '_', ':', '#', '`', '```', '*', '**', '~~', '[',
  ']', '(', ')', '<', '>', '|', '.', '. ', '@', 'http://', 'www.', '-DOCSTART-', 'B-', 'I-', 'O', 'X', 'a', '0',
];

/** Tags valid in some scheme, typos of them and things that are no tag at all. */
export const TAGS = [
  'O', 'B-X', 'I-X', 'I-Y', 'B-Disease', 'I-Disease', 'B-Chemical', 'I-Chemical', 'B-Diseas', 'E-X', 'S-X', 'L-X', 'U-X', 'B', 'I',
  'E', 'B_', 'B_X', 'B-', 'I-', 'b-X', 'o', '0', 'X-Y', 'O-X', 'B--X', '', ' ', 'B-X ', 'B-Dis ease', 'B-\ud800', 'B-\u0301',
];

const WORDS = ['aspirin', 'fever', 'p53', '5-FU', '.', ',', '(', 'IL-2', '𝛼-helix', 'naïve', '#', '-DOCSTART-', 'e.g.', 'x'];

/** One line of a CoNLL-like file: usually a token line, sometimes structure or noise. */
export function randomLine(rng: Random): string {
  const word = rng.chance(0.8) ? rng.pick(WORDS) : randomPieces(rng, rng.between(1, 4));
  switch (rng.int(10)) {
    case 0:
      return '';
    case 1:
      return rng.pick(['-DOCSTART-\tO', '-DOCSTART- -X- O O', '# comment', '#\tO', ' \t ', '\t']);
    case 2:
      return `${word} ${rng.pick(TAGS)}`;
    case 3:
      return `${word}\tNN\t${rng.pick(TAGS)}`;
    case 4:
      return randomPieces(rng, rng.between(1, 8)).replace(/[\r\n]/g, '');
    default:
      return `${word}\t${rng.pick(TAGS)}`;
  }
}

export function randomPieces(rng: Random, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += rng.pick(AWKWARD);
  return text;
}

/** The real corpora beside the checkout, else the repository's excerpts; read once per process. */
let corpusTexts: string[] | undefined;
function corpora(): string[] {
  if (!corpusTexts) {
    const shared = sharedCorpusFiles();
    corpusTexts = (shared.length > 0 ? shared : EXCERPTS).map((f) => readFileSync(f, 'utf8'));
  }
  return corpusTexts;
}

/** A run of whole lines (1 to `maxLines`) from a random place in a random corpus. */
export function corpusExcerpt(rng: Random, maxLines: number): string {
  const text = rng.pick(corpora());
  const start = rng.chance(0.1) ? 0 : text.lastIndexOf('\n', rng.int(text.length)) + 1;
  let end = start;
  for (let n = rng.between(1, maxLines); n > 0 && end < text.length; n--) {
    const next = text.indexOf('\n', end);
    end = next < 0 ? text.length : next + 1;
  }
  return text.slice(start, end);
}

/** Offset of the start of the line holding `offset`. */
function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

type Mutation = (rng: Random, text: string) => string;

const at = (rng: Random, text: string) => rng.int(text.length + 1);
const splice = (text: string, from: number, to: number, insert: string) => text.slice(0, from) + insert + text.slice(to);

/** Single edits as an annotator's slip or a broken export would make them. */
const MUTATIONS: Mutation[] = [
  (rng, text) => {
    const i = at(rng, text);
    return splice(text, i, i, randomPieces(rng, rng.between(1, 3)));
  },
  (rng, text) => {
    const i = at(rng, text);
    return splice(text, i, i + rng.between(1, 8), '');
  },
  (rng, text) => {
    const i = at(rng, text);
    return splice(text, i, i + 1, rng.pick(AWKWARD));
  },
  (rng, text) => {
    const i = lineStart(text, at(rng, text));
    return splice(text, i, i, `${randomLine(rng)}\n`);
  },
  (rng, text) => {
    const i = lineStart(text, at(rng, text));
    const end = text.indexOf('\n', i);
    return splice(text, i, end < 0 ? text.length : end + 1, '');
  },
  (rng, text) => {
    const i = lineStart(text, at(rng, text));
    const end = text.indexOf('\n', i);
    const line = text.slice(i, end < 0 ? text.length : end + 1);
    return splice(text, i, i, line.endsWith('\n') ? line : `${line}\n`);
  },
  (rng, text) => {
    // Replaces the last column of a line: the tag, in a tab-separated file.
    const i = lineStart(text, at(rng, text));
    const end = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    const tab = text.lastIndexOf('\t', end - 1);
    return tab >= i ? splice(text, tab + 1, end, rng.pick(TAGS)) : text;
  },
  (rng, text) => {
    const i = at(rng, text);
    return splice(text, i, i, '\t');
  },
  (rng, text) => {
    const tab = text.indexOf('\t', at(rng, text));
    return tab < 0 ? text : splice(text, tab, tab + 1, rng.pick(['', ' ', '\t\t']));
  },
  (rng, text) => {
    const i = lineStart(text, at(rng, text));
    return splice(text, i, i, '\n'.repeat(rng.between(1, 3)));
  },
];

export function mutate(rng: Random, text: string, edits: number): string {
  for (let i = 0; i < edits; i++) text = rng.pick(MUTATIONS)(rng, text);
  return text;
}

/** Combining marks, astral characters and surrogate halves scattered over a text, and pairs cut in two. */
export function scatterUnicode(rng: Random, text: string, count: number): string {
  for (let i = 0; i < count; i++) {
    const offset = at(rng, text);
    switch (rng.int(6)) {
      case 0:
        text = splice(text, offset, offset, String.fromCodePoint(rng.between(0x10000, 0x10ffff)));
        break;
      case 1:
        text = splice(text, offset, offset, String.fromCharCode(rng.between(0xd800, 0xdfff)));
        break;
      case 2:
        // A stack of combining marks, as in "zalgo" text.
        text = splice(text, offset, offset, Array.from({ length: rng.small(60) + 1 }, () => String.fromCharCode(rng.between(0x300, 0x36f))).join(''));
        break;
      case 3: {
        const pair = text.slice(offset).search(/[\ud800-\udbff][\udc00-\udfff]/);
        text = pair < 0 ? text : splice(text, offset + pair + 1, offset + pair + 1, rng.pick(['\t', '\n', 'x', '']));
        break;
      }
      case 4:
        text = splice(text, offset, offset, rng.pick(['\u200d', '\ufe0f', '\u202e', '\u2066', '\u061c', '\ufeff']));
        break;
      default:
        text = splice(text, offset, offset, rng.pick(AWKWARD));
    }
  }
  return text;
}

/** Every line break replaced by one of \n, \r\n, \r (and pairs of them that are two breaks). */
export function mixLineBreaks(rng: Random, text: string): string {
  return text.replace(/\r\n|\r|\n/g, () => rng.pick(['\n', '\r\n', '\r', '\n\r', '\r\r\n', '\n']));
}

const MB = 1 << 20;

/** Units repeated to about 1 MB: each stresses splitting, a regular expression or a scan of the checks or the masking. */
const HUGE_UNITS = ['a', 'B-X\t', '\t', ' ', 'a.', 'a@b.', 'http://a(', '*a_', '`', '``x', '[', '](x', '<!--', '<a', '|', '\u0301', '\ud835\udefc '];

/** One line of about 1 MB, sometimes shaped as a token or tag column of a BIO file. */
export function hugeLine(rng: Random): string {
  const unit = rng.chance(0.2) ? randomPieces(rng, 64).replace(/[\r\n]/g, '') : rng.pick(HUGE_UNITS);
  const line = unit.repeat(Math.ceil(MB / unit.length));
  return rng.pick([line, `${line}\tB-X`, `word\t${line}`, `# ${line}`]);
}

/** A file of nothing, or only of whitespace (which the checks must read as blank lines or no lines at all). */
export function blankText(rng: Random): string {
  if (rng.chance(0.2)) return '';
  return Array.from({ length: rng.small(200) }, () => rng.pick([' ', '\t', '\n', '\r', '\r\n', '\u00a0', '\u3000', '\u2028', '\ufeff'])).join('');
}

/** Bytes, uniform or biased towards the bytes of tab-separated tags and of multi-byte (and broken) UTF-8. */
export function randomBytes(rng: Random, length: number): Buffer {
  const biased = rng.chance(0.7);
  const common = [0x09, 0x0a, 0x0d, 0x20, 0x42, 0x49, 0x4f, 0x2d, 0x58, 0x61, 0xc3, 0xa9, 0xe2, 0x80, 0x8b, 0xed, 0xa0, 0xf0, 0x9f, 0xef, 0xbb, 0xbf];
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = biased && rng.chance(0.7) ? rng.pick(common) : rng.int(256);
  return bytes;
}

/**
 * A fuzz input: `text` is what an editor holds, `bytes` what the same document is on disk (which the CLI streams and
 * decodes as UTF-8, so lone surrogates and invalid bytes come back as U+FFFD).
 */
export interface FuzzInput {
  text: string;
  bytes: Buffer;
}

export interface InputKind {
  name: string;
  /** Share of the cases. */
  weight: number;
  /** A megabyte or more: too slow to re-check after each of many edits through the server. */
  large?: boolean;
  make(rng: Random): FuzzInput;
}

const fromText = (text: string): FuzzInput => ({ text, bytes: Buffer.from(text, 'utf8') });

/** Sometimes the whole file changes form: space-separated columns (CoNLL-2003 style), a byte-order mark, no final line break. */
function reshape(rng: Random, text: string): string {
  if (rng.chance(0.15)) text = text.replace(/\t/g, rng.pick([' ', '  ']));
  if (rng.chance(0.1)) text = `\ufeff${text}`;
  if (rng.chance(0.2)) text = text.replace(/[\r\n]+$/, '');
  return text;
}

export const INPUT_KINDS: readonly InputKind[] = [
  {
    name: 'bytes as UTF-8',
    weight: 2,
    make(rng) {
      const bytes = randomBytes(rng, rng.small(8192));
      return { text: bytes.toString('utf8'), bytes };
    },
  },
  {
    name: 'bytes as latin1',
    weight: 1,
    make(rng) {
      const bytes = randomBytes(rng, rng.small(8192));
      return { text: bytes.toString('latin1'), bytes };
    },
  },
  { name: 'edited corpus', weight: 4, make: (rng) => fromText(reshape(rng, mutate(rng, corpusExcerpt(rng, 400), rng.small(60) + 1))) },
  {
    name: '1 MB line',
    weight: 0.1,
    large: true,
    make(rng) {
      const lines = [corpusExcerpt(rng, 20), hugeLine(rng), rng.chance(0.5) ? corpusExcerpt(rng, 20) : ''];
      return fromText(lines.join(rng.pick(['\n', '\r\n', '\r'])));
    },
  },
  {
    // The CLI reads files in 1 MiB chunks: broken and multi-byte UTF-8 and \r\n pairs across a chunk's end.
    name: 'bytes at a 1 MiB chunk edge',
    weight: 0.1,
    large: true,
    make(rng) {
      const excerpt = corpusExcerpt(rng, 20);
      const lineEnd = rng.pick(['\n', '\r', '\r\n', '']);
      const filler = 'a'.repeat(Math.max(0, MB - rng.between(1, 8) - Buffer.byteLength(excerpt) - lineEnd.length));
      const bytes = Buffer.concat([Buffer.from(excerpt + filler + lineEnd), randomBytes(rng, rng.between(1, 64))]);
      return { text: bytes.toString('utf8'), bytes };
    },
  },
  { name: 'unicode', weight: 2, make: (rng) => fromText(scatterUnicode(rng, corpusExcerpt(rng, 200), rng.small(40) + 1)) },
  { name: 'line breaks', weight: 2, make: (rng) => fromText(reshape(rng, mixLineBreaks(rng, mutate(rng, corpusExcerpt(rng, 200), rng.small(5))))) },
  { name: 'empty or blank', weight: 1, make: (rng) => fromText(blankText(rng)) },
];
