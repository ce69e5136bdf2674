/** A sentence as the corpus index keeps it: words, tags read in the file's scheme, and the line of each token. */
import type { Layout } from '../conll/layout';
import { tagOf, type TokenLine } from '../conll/reader';
import { mapToScheme } from '../conll/sequence';
import type { Tag } from '../conll/tags';
import { wordOf } from '../conll/corpus';

export interface CorpusSentence {
  /** Zero-based line of each token; shifted in place when lines are inserted or removed above. */
  lines: number[];
  words: string[];
  /** Each token's tag in the file's scheme (conlleval chunking applies); null where the tag is missing or malformed. */
  tags: (Tag | null)[];
  /** UTF-16 columns of each token's tag in its line, end exclusive; -1 where the line has no tag column. */
  tagStarts: number[];
  tagEnds: number[];
}

export function corpusSentence(tokens: readonly TokenLine[], layout: Pick<Layout, 'scheme'>): CorpusSentence {
  return {
    lines: tokens.map((token) => token.line.number),
    words: tokens.map(wordOf),
    tags: mapToScheme(tokens.map(tagOf), layout.scheme).map(shared),
    tagStarts: tokens.map((token) => (token.tagColumn ? token.line.offset + token.tagColumn.start : -1)),
    tagEnds: tokens.map((token) => (token.tagColumn ? token.line.offset + token.tagColumn.end : -1)),
  };
}

/** One object per distinct tag: an index of millions of tokens holds a few dozen tags, not a copy per token. */
const SHARED_TAGS = new Map<string, Tag>();
function shared(tag: Tag | null): Tag | null {
  if (!tag) return null;
  const key = `${tag.prefix}-${tag.type}`;
  let one = SHARED_TAGS.get(key);
  if (!one) SHARED_TAGS.set(key, (one = Object.freeze({ prefix: tag.prefix, type: tag.type })));
  return one;
}

/** The text of a sentence, as leakage and duplicate checks compare it (exact words, one space between). */
export function sentenceText(sentence: Pick<CorpusSentence, 'words'>): string {
  return sentence.words.join(' ');
}
