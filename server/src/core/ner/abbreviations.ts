/**
 * Abbreviations a text defines, found as Schwartz & Hearst (2003) find them and as scispaCy's AbbreviationDetector
 * does: "long form ( short form )", or "short form ( long form )" when the parentheses hold more than three words.
 * The short form's characters must appear in order in the long form, its first one at the start of a word.
 */

/** Word indices in a sentence, end exclusive. */
export interface WordRange {
  start: number;
  end: number;
}

export interface Definition {
  short: WordRange;
  long: WordRange;
}

/** Where a predicted span's type came from when an abbreviation gave it. */
export interface AbbreviationSource {
  shortForm: string;
  longForm: string;
  /** The sentence (index in the document's sentences) that defines the short form. */
  definedIn: number;
}

/** Most words inside parentheses that can hold a short or a long form. */
const MAX_INSIDE = 8;
/** More words than this inside the parentheses: they hold the long form. */
const MAX_SHORT_WORDS = 3;

/** The definitions of one sentence, given as words (punctuation separate, as the corpora and the prose segmenter split it). */
export function findDefinitions(words: readonly string[]): Definition[] {
  const found: Definition[] = [];
  for (let open = 1; open < words.length; open++) {
    if (words[open] !== '(') continue;
    const close = closingParenthesis(words, open);
    if (close < 0) continue;
    const inside = { start: open + 1, end: close };
    const definition = inside.end - inside.start > MAX_SHORT_WORDS ? longInside(words, open, inside) : shortInside(words, open, inside);
    if (definition) found.push(definition);
  }
  return found;
}

/** The ")" that closes the "(" at `open` within MAX_INSIDE words and without nesting; -1 if none. */
function closingParenthesis(words: readonly string[], open: number): number {
  for (let i = open + 1; i < words.length && i <= open + MAX_INSIDE + 1; i++) {
    if (words[i] === ')') return i > open + 1 ? i : -1;
    if (words[i] === '(') return -1;
  }
  return -1;
}

/** "acute renal failure ( ARF )": the long form ends before "(" and has at most min(|A| + 5, 2|A|) words. */
function shortInside(words: readonly string[], open: number, short: WordRange): Definition | undefined {
  const text = joined(words, short);
  if (!isShortForm(text)) return undefined;
  const length = text.length;
  const candidate = { start: Math.max(0, open - Math.min(length + 5, 2 * length)), end: open };
  const long = longFormWithin(words, candidate, text);
  return long && balanced(words, long) ? { short, long } : undefined;
}

/** "ARF ( acute renal failure )": the short form is the word before "(". */
function longInside(words: readonly string[], open: number, inside: WordRange): Definition | undefined {
  const short = { start: open - 1, end: open };
  const text = words[open - 1];
  if (!isShortForm(text)) return undefined;
  const long = longFormWithin(words, inside, text);
  return long && long.end - long.start > 0 ? { short, long } : undefined;
}

/**
 * Whether the words are a long form of the short form from their first word on: "thrombotic thrombocytopenic
 * purpura" is one of TTP, though the shortest match is "thrombocytopenic purpura".
 */
export function isLongForm(words: readonly string[], range: WordRange, short: string): boolean {
  const long = words.slice(range.start, range.end).join(' ').toLowerCase();
  const [first, ...rest] = [...short.toLowerCase()].filter(isAlphanumeric);
  if (first === undefined || long[0] !== first) return false;
  let at = 1;
  for (const c of rest) {
    at = long.indexOf(c, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

/** scispaCy's short-form filter: 2–9 characters, at least half of them letters, the first one a letter. */
function isShortForm(text: string): boolean {
  if (text.length < 2 || text.length >= 10 || !/^\p{L}/u.test(text)) return false;
  return (text.match(/\p{L}/gu)?.length ?? 0) * 2 >= text.length;
}

/** Whether every parenthesis in the range is closed in it: "ATP sensitive K + ( K" is no long form. */
function balanced(words: readonly string[], range: WordRange): boolean {
  let depth = 0;
  for (let i = range.start; i < range.end && depth >= 0; i++) depth += words[i] === '(' ? 1 : words[i] === ')' ? -1 : 0;
  return depth === 0;
}

const joined = (words: readonly string[], range: WordRange) => words.slice(range.start, range.end).join('');

const isAlphanumeric = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/**
 * Schwartz–Hearst's match: from the end, each letter or digit of the short form is found, right to left, in the
 * candidate's text, the first one at the start of a word. Returns the words from the one holding that first match
 * to the end of the candidate, or undefined when some character is not found.
 */
function longFormWithin(words: readonly string[], candidate: WordRange, short: string): WordRange | undefined {
  const parts = words.slice(candidate.start, candidate.end);
  const long = parts.join(' ').toLowerCase();
  const target = short.toLowerCase();
  let l = long.length - 1;
  for (let s = target.length - 1; s >= 0; s--) {
    const c = target[s];
    if (!isAlphanumeric(c)) continue;
    while (l >= 0 && (long[l] !== c || (s === 0 && l > 0 && isAlphanumeric(long[l - 1])))) l--;
    if (l < 0) return undefined;
    l--;
  }
  // The word holding character l + 1.
  let offset = 0;
  for (let w = 0; w < parts.length; w++) {
    offset += parts[w].length + 1;
    if (offset > l + 1) return { start: candidate.start + w, end: candidate.end };
  }
  return undefined;
}
