/**
 * Places a generative tagger's mentions on a gold sentence's tokens. Marker answers whose words are the sentence's are
 * placed where they are marked. Otherwise each entity string is looked for as a run of whole tokens, by the engine's
 * words (so "IL-2" finds the tokens "IL - 2" and the token "IL-2" alike), case-insensitively when exact case fails:
 * longest mentions first, never across one already placed, the k-th mention of a string on its k-th occurrence.
 */
import type { Chunk } from '../conll/sequence';
import { clip } from '../text/clip';
import type { Answer, Mention } from './generative';
import type { Problem } from './model';
import { splitWords } from './words';

/** A sentence's tokens as the engine's words, each word knowing its token. */
class SentenceWords {
  readonly words: string[] = [];
  readonly tokenOf: number[] = [];
  readonly startsToken: boolean[] = [];
  readonly endsToken: boolean[] = [];

  constructor(tokens: readonly string[]) {
    tokens.forEach((token, t) => {
      const words = splitWords(token);
      if (!words.length) words.push(token);
      words.forEach((word, k) => {
        this.words.push(word);
        this.tokenOf.push(t);
        this.startsToken.push(k === 0);
        this.endsToken.push(k === words.length - 1);
      });
    });
  }

  /** The token ranges where `words` occur as whole tokens. */
  occurrences(words: readonly string[], fold: boolean): { start: number; end: number }[] {
    const same = fold ? (a: string, b: string) => a.toLowerCase() === b.toLowerCase() : (a: string, b: string) => a === b;
    const found: { start: number; end: number }[] = [];
    const n = words.length;
    for (let i = 0; i + n <= this.words.length; i++) {
      if (!this.startsToken[i] || !this.endsToken[i + n - 1]) continue;
      if (words.every((w, k) => same(this.words[i + k], w))) found.push({ start: this.tokenOf[i], end: this.tokenOf[i + n - 1] + 1 });
    }
    return found;
  }
}

/**
 * The entities of one answer as chunks of `tokens`, and a problem for each mention that could not be placed (or only
 * on tokens it cuts). `typeOf` gives a mention's type; `sentence` (1-based) names the sentence in messages.
 */
export function placeMentions(tokens: readonly string[], answer: Answer, typeOf: (m: Mention) => string, sentence: number): { chunks: Chunk[]; problems: Problem[] } {
  const gold = new SentenceWords(tokens);
  const placed: Chunk[] = [];
  const problems: Problem[] = [];
  const fail = (mention: Mention, reason: string) =>
    problems.push({ location: mention.location, message: `sentence ${sentence}: '${clip(mention.words.join(' '))}' (${clip(typeOf(mention))}) ${reason}` });
  const overlaps = (range: { start: number; end: number }) => placed.some((c) => c.start < range.end && range.start < c.end);
  const byPosition = answer.words !== undefined && answer.words.length === gold.words.length && answer.words.every((w, i) => w === gold.words[i]);
  const order = byPosition ? answer.mentions : [...answer.mentions].sort((a, b) => b.words.length - a.words.length);
  for (const mention of order) {
    if (!mention.words.length) {
      fail(mention, 'has no words; not tagged');
      continue;
    }
    if (byPosition && mention.at) {
      const { start, end } = mention.at;
      const range = { start: gold.tokenOf[start], end: gold.tokenOf[end - 1] + 1 };
      if (overlaps(range)) fail(mention, 'overlaps an entity placed before; not tagged');
      else {
        if (!gold.startsToken[start] || !gold.endsToken[end - 1]) fail(mention, `starts or ends inside a token: tagged on the tokens it touches, '${clip(tokens.slice(range.start, range.end).join(' '))}'`);
        placed.push({ type: typeOf(mention), ...range });
      }
      continue;
    }
    const range = chooseOccurrence(gold, mention, placed);
    if (typeof range === 'string') fail(mention, `${range}; not tagged`);
    else placed.push({ type: typeOf(mention), ...range });
  }
  return { chunks: placed.sort((a, b) => a.start - b.start), problems };
}

/** The occurrence a mention stands for, or why there is none. */
function chooseOccurrence(gold: SentenceWords, mention: Mention, placed: readonly Chunk[]): { start: number; end: number } | string {
  const free = (range: { start: number; end: number }) => !placed.some((c) => c.start < range.end && range.start < c.end);
  // An occurrence another mention took still counts in the ranks; one cut by a placed entity is no occurrence.
  const notCut = (range: { start: number; end: number }) => !placed.some((c) => c.start < range.end && range.start < c.end && (c.start !== range.start || c.end !== range.end));
  let candidates = gold.occurrences(mention.words, false).filter(notCut);
  let rank = mention.rank.exact;
  if (candidates.length <= rank) {
    candidates = gold.occurrences(mention.words, true).filter(notCut);
    rank = mention.rank.folded;
  }
  if (!candidates.length) return gold.occurrences(mention.words, true).length ? 'occurs only inside or across entities placed before' : 'is not in the sentence (as whole tokens)';
  // More mentions than occurrences: the last ones fall back on any occurrence still free.
  const wanted = candidates[Math.min(rank, candidates.length - 1)];
  const chosen = free(wanted) ? wanted : candidates.find(free);
  return chosen ?? `occurs ${candidates.length} time(s), each taken by another mention`;
}
