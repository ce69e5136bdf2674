/** BIO tags: parsing, the tagging schemes and their prefixes. */
import { clip } from '../text/clip';

export type Prefix = 'B' | 'I' | 'E' | 'S' | 'L' | 'U' | 'O';
export type Scheme = 'IOB1' | 'IOB2' | 'IOBES' | 'BILOU';
export const SCHEMES: readonly Scheme[] = ['IOB2', 'IOBES', 'BILOU', 'IOB1'];

export interface Tag {
  prefix: Prefix;
  /** Entity type; '' for untyped tags (`B`, `I`) and for `O`. */
  type: string;
}

export type TagParse = { ok: true; tag: Tag } | { ok: false; reason: string; suggestion?: string };

const VALID_TAG = /^(?:O|([BIESLU])(?:-(\S+))?)$/;
const PREFIX_LETTERS = 'BIESLU';

export function parseTag(text: string): TagParse {
  const match = VALID_TAG.exec(text);
  if (match) {
    if (text === 'O') return { ok: true, tag: { prefix: 'O', type: '' } };
    return { ok: true, tag: { prefix: match[1] as Prefix, type: match[2] ?? '' } };
  }
  return { ok: false, ...diagnoseMalformed(text) };
}

/** Why a tag is malformed, and the tag the user most probably meant. */
function diagnoseMalformed(text: string): { reason: string; suggestion?: string } {
  if (text === 'o' || text === '0') return { reason: `'${text}' is not a tag; the outside tag is 'O'`, suggestion: 'O' };
  const first = text[0]?.toUpperCase() ?? '';
  const isPrefix = PREFIX_LETTERS.includes(first);
  if (isPrefix && text.length >= 2 && /[_:.=]/.test(text[1])) {
    const suggestion = `${first}-${text.slice(2)}`;
    return { reason: `the prefix must be followed by '-', not '${text[1]}'`, suggestion: parseTag(suggestion).ok ? suggestion : undefined };
  }
  if (isPrefix && text[0] !== first && (text.length === 1 || text[1] === '-')) {
    const suggestion = first + text.slice(1);
    return { reason: `the prefix '${text[0]}' must be upper case`, suggestion: parseTag(suggestion).ok ? suggestion : undefined };
  }
  if (isPrefix && text.length === 2 && text[1] === '-') return { reason: `'${text}' has no entity type after '-'` };
  if (/\s/.test(text)) return { reason: 'the tag contains whitespace' };
  const dash = text.indexOf('-');
  if (dash > 0) return { reason: `'${clip(text.slice(0, dash))}' is not a tag prefix (B, I, E, S, L, U)` };
  return { reason: `'${clip(text)}' is neither 'O' nor PREFIX-Type` };
}

export function formatTag(tag: Tag): string {
  if (tag.prefix === 'O') return 'O';
  return tag.type ? `${tag.prefix}-${tag.type}` : tag.prefix;
}

/** Prefixes a scheme uses; any other prefix in a file of that scheme is a mixed-scheme tag. */
export const SCHEME_PREFIXES: Record<Scheme, ReadonlySet<Prefix>> = {
  IOB1: new Set<Prefix>(['B', 'I', 'O']),
  IOB2: new Set<Prefix>(['B', 'I', 'O']),
  IOBES: new Set<Prefix>(['B', 'I', 'E', 'S', 'O']),
  BILOU: new Set<Prefix>(['B', 'I', 'L', 'U', 'O']),
};

/** A foreign prefix read as its nearest meaning in a scheme: single-token tags begin, closing tags continue. */
export function prefixInScheme(prefix: Prefix, scheme: Scheme): Prefix {
  if (SCHEME_PREFIXES[scheme].has(prefix)) return prefix;
  const single = scheme === 'BILOU' ? 'U' : scheme === 'IOBES' ? 'S' : 'B';
  const closing = scheme === 'BILOU' ? 'L' : scheme === 'IOBES' ? 'E' : 'I';
  return prefix === 'S' || prefix === 'U' ? single : closing;
}

/** Prefixes that end an entity on this token, for schemes that mark the end. */
export function isSingle(prefix: Prefix): boolean {
  return prefix === 'S' || prefix === 'U';
}
export function isClosing(prefix: Prefix): boolean {
  return prefix === 'E' || prefix === 'L';
}
