/**
 * Label noise planted into gold IOB2 tags, to measure how well review finds errors: a share of the entities is
 * dropped, retyped to another type of the file, or has one boundary moved by a token. The output stays valid IOB2.
 * Also the measures of a ranking against the planted errors.
 */
import { tagsForChunks } from '../conll/convert';
import type { Chunk } from '../conll/sequence';
import { entitiesOf } from './labelIssues';

export type NoiseKind = 'drop' | 'retype' | 'shift';

export interface NoiseChange {
  sentence: number;
  kind: NoiseKind;
  /** The gold entity before the change. */
  before: Chunk;
  /** The entity after it; undefined when dropped. */
  after?: Chunk;
}

export interface Noise {
  /** The noisy tags (IOB2), one array per sentence. */
  tags: string[][];
  /** One change per chosen entity, in sentence order. */
  changes: NoiseChange[];
  /** Indices of the sentences a change touched. */
  sentences: Set<number>;
}

export interface NoiseOptions {
  /** Share of the gold entities changed (rounded to a whole number of entities). */
  fraction: number;
  /** Uniform numbers in [0, 1): a seeded generator makes the noise reproducible. */
  random: () => number;
}

/**
 * Changes round(fraction × entities) entities chosen at random, each one way chosen at random among those possible
 * for it: drop (always), retype (when the file has two types or more), shift (extend into an O neighbour, or give
 * up the first or last token of an entity of two tokens or more).
 */
export function injectNoise(gold: readonly (readonly string[])[], options: NoiseOptions): Noise {
  const { random } = options;
  const chunks = gold.map(entitiesOf);
  const types = [...new Set(chunks.flat().map((chunk) => chunk.type))].sort();
  const all = chunks.flatMap((sentence, s) => sentence.map((chunk) => ({ s, chunk })));
  const count = Math.round(Math.max(0, Math.min(1, options.fraction)) * all.length);
  // A partial Fisher-Yates shuffle: the first `count` are a uniform sample.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const chosen = all.slice(0, count).sort((a, b) => a.s - b.s || a.chunk.start - b.chunk.start);
  const changes: NoiseChange[] = [];
  for (const { s, chunk } of chosen) {
    const sentence = chunks[s];
    const at = sentence.indexOf(chunk);
    const outside = (i: number) => i >= 0 && i < gold[s].length && !sentence.some((c) => c.start <= i && i < c.end);
    const shifts: Chunk[] = [];
    if (outside(chunk.start - 1)) shifts.push({ ...chunk, start: chunk.start - 1 });
    if (outside(chunk.end)) shifts.push({ ...chunk, end: chunk.end + 1 });
    if (chunk.end - chunk.start >= 2) shifts.push({ ...chunk, start: chunk.start + 1 }, { ...chunk, end: chunk.end - 1 });
    const kinds: NoiseKind[] = ['drop', ...(types.length >= 2 ? ['retype' as const] : []), ...(shifts.length > 0 ? ['shift' as const] : [])];
    const kind = pick(kinds, random);
    const after = kind === 'drop' ? undefined : kind === 'retype' ? { ...chunk, type: pick(types.filter((t) => t !== chunk.type), random) } : pick(shifts, random);
    if (after) sentence[at] = after;
    else sentence.splice(at, 1);
    changes.push({ sentence: s, kind, before: chunk, after });
  }
  return {
    tags: chunks.map((sentence, s) => tagsForChunks(sentence, gold[s].length, 'IOB2')),
    changes,
    sentences: new Set(changes.map((change) => change.sentence)),
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)];
}

/** Average precision of a ranking (best first) against the positive items; positives left out of it count as missed. */
export function averagePrecision<T>(ranked: readonly T[], isPositive: (item: T) => boolean, positives: number): number {
  let hits = 0;
  let sum = 0;
  ranked.forEach((item, i) => {
    if (isPositive(item)) sum += ++hits / (i + 1);
  });
  return positives > 0 ? sum / positives : 0;
}

/** Share of positives among the first k of a ranking (a shorter ranking counts its missing places as misses). */
export function precisionAt<T>(ranked: readonly T[], isPositive: (item: T) => boolean, k: number): number {
  return ranked.slice(0, k).filter(isPositive).length / k;
}
