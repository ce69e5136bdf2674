/** Statistics of one corpus from its split index: sizes per split and type, lengths, leakage, memorization, label co-occurrence. */
import { chunkEntities } from '../conll/sequence';
import { RARE_TYPE_EXAMPLES, SENTENCE_LENGTH_BUCKETS } from '../reports/buckets';
import type { SentenceRef } from './detector';
import { isComparable, type SplitHygiene } from './splits';

/** Surface forms annotated with several types that the statistics list, those with the most mentions first. */
export const AMBIGUOUS_FORMS_LISTED = 20;

export interface SplitStats {
  /** train, dev, test, or the file name of a file without a split role. */
  split: string;
  files: string[];
  sentences: number;
  tokens: number;
  /** Entities per type, in chunks as conlleval reads them. */
  entities: Record<string, number>;
  /** Entities of 1, 2 and ≥3 tokens. */
  entityLengths: [number, number, number];
  sentenceLength: { min: number; median: number; mean: number; max: number; histogram: number[] };
}

export interface Leakage {
  split: string;
  sentences: number;
  /** Comparable sentences (see isComparable) that also occur in a train file. */
  inTrain: number;
  share: number;
  /** Of those, the ones whose tags differ from a train copy. */
  differentTags: number;
}

export interface Memorization {
  split: string;
  mentions: number;
  /** Mentions whose words and type also form an entity in train (Kim & Kang 2022's memorization). */
  seenWithType: number;
  seenWithTypeShare: number;
  /** Mentions whose words are no entity of any type in train. */
  unseen: number;
  unseenShare: number;
}

/** A surface form annotated with more than one type, and how often with each. */
export interface AmbiguousForm {
  /** The entity's words joined by one space, case kept (as memorization compares them). */
  form: string;
  mentions: number;
  /** Mentions per type, the most frequent first. */
  types: Record<string, number>;
}

/**
 * How the corpus's types meet, over every split: which types share sentences (a curator checks that their guidelines
 * agree where they meet), and which words are annotated with more than one type (type conflicts to settle, or a real
 * ambiguity to document).
 */
export interface LabelCooccurrence {
  /** Every entity type of the corpus, in name order. */
  types: string[];
  /** sentences[i][j]: sentences holding an entity of types[i] and one of types[j]; the diagonal: sentences holding types[i]. */
  sentences: number[][];
  /** Surface forms annotated with more than one type, in all. */
  ambiguousForms: number;
  /** The AMBIGUOUS_FORMS_LISTED of them with the most mentions (then by form). */
  topAmbiguousForms: AmbiguousForm[];
}

export interface CorpusStats {
  corpus: string;
  splits: SplitStats[];
  /** Dev and test splits against train; empty when the corpus has no train file. */
  leakage: Leakage[];
  /** Types with at most RARE_TYPE_EXAMPLES entities in train (in the whole corpus when it has no train file). */
  rareTypes: { type: string; entities: number }[];
  memorization: Memorization[];
  cooccurrence: LabelCooccurrence;
}

const SPLIT_ORDER = ['train', 'dev', 'test'];

export function corpusStats(corpus: string, index: SplitHygiene): CorpusStats {
  const bySplit = new Map<string, SentenceRef[]>();
  for (const ref of index.sentences()) {
    const split = ref.file.split ?? ref.file.file;
    const refs = bySplit.get(split);
    if (refs) refs.push(ref);
    else bySplit.set(split, [ref]);
  }
  const order = (s: string) => (SPLIT_ORDER.includes(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.length);
  const splits = [...bySplit.keys()].sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1));
  for (const refs of bySplit.values()) refs.sort((a, b) => (a.file.file < b.file.file ? -1 : a.file.file > b.file.file ? 1 : a.sentence.lines[0] - b.sentence.lines[0]));
  const splitStats = splits.map((split) => statsOf(split, bySplit.get(split)!));
  const train = bySplit.get('train');
  const evaluated = splits.filter((s) => s === 'dev' || s === 'test');
  const trainCounts = splitStats.find((s) => s.split === 'train')?.entities;
  const typeTotals = trainCounts ?? sumCounts(splitStats.map((s) => s.entities));
  return {
    corpus,
    splits: splitStats,
    leakage: train ? evaluated.map((split) => leakageOf(split, bySplit.get(split)!, index)) : [],
    rareTypes: Object.entries(typeTotals)
      .filter(([, n]) => n <= RARE_TYPE_EXAMPLES)
      .map(([type, entities]) => ({ type, entities })),
    memorization: train ? memorizationOf(train, evaluated.map((split) => [split, bySplit.get(split)!])) : [],
    cooccurrence: cooccurrenceOf(splits.flatMap((split) => bySplit.get(split)!)),
  };
}

function statsOf(split: string, refs: SentenceRef[]): SplitStats {
  const entities: Record<string, number> = {};
  const entityLengths: [number, number, number] = [0, 0, 0];
  const lengths = refs.map((r) => r.sentence.words.length).sort((a, b) => a - b);
  for (const { sentence } of refs) {
    for (const chunk of chunkEntities(sentence.tags)) {
      entities[chunk.type] = (entities[chunk.type] ?? 0) + 1;
      entityLengths[Math.min(chunk.end - chunk.start, 3) - 1]++;
    }
  }
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const histogram = [...SENTENCE_LENGTH_BUCKETS, Infinity].map((bound, i, bounds) => lengths.filter((n) => n <= bound && (i === 0 || n > bounds[i - 1])).length);
  return {
    split,
    files: [...new Set(refs.map((r) => r.file.file))].sort(),
    sentences: refs.length,
    tokens,
    entities: Object.fromEntries(Object.entries(entities).sort(([a], [b]) => (a < b ? -1 : 1))),
    entityLengths,
    sentenceLength: {
      min: lengths[0] ?? 0,
      median: median(lengths),
      mean: refs.length ? tokens / refs.length : 0,
      max: lengths[lengths.length - 1] ?? 0,
      histogram,
    },
  };
}

function leakageOf(split: string, refs: SentenceRef[], index: SplitHygiene): Leakage {
  let inTrain = 0;
  let differentTags = 0;
  for (const ref of refs) {
    if (!isComparable(ref.sentence)) continue;
    const copies = index.copiesIn(ref, 'train');
    if (copies.copies === 0) continue;
    inTrain++;
    if (copies.differentTags > 0) differentTags++;
  }
  return { split, sentences: refs.length, inTrain, share: share(inTrain, refs.length), differentTags };
}

/** Exact surface forms (words joined by one space, case kept), as Kim & Kang compare mentions with train. */
function memorizationOf(train: SentenceRef[], evaluated: [string, SentenceRef[]][]): Memorization[] {
  const trainForms = new Map<string, Set<string>>();
  for (const mention of mentions(train)) {
    let types = trainForms.get(mention.form);
    if (!types) trainForms.set(mention.form, (types = new Set()));
    types.add(mention.type);
  }
  return evaluated.map(([split, refs]) => {
    let total = 0;
    let seenWithType = 0;
    let unseen = 0;
    for (const { form, type } of mentions(refs)) {
      total++;
      const types = trainForms.get(form);
      if (!types) unseen++;
      else if (types.has(type)) seenWithType++;
    }
    return { split, mentions: total, seenWithType, seenWithTypeShare: share(seenWithType, total), unseen, unseenShare: share(unseen, total) };
  });
}

function cooccurrenceOf(refs: SentenceRef[]): LabelCooccurrence {
  const typesBySentence = refs.map(({ sentence }) => [...new Set(chunkEntities(sentence.tags).map((chunk) => chunk.type))]);
  const types = [...new Set(typesBySentence.flat())].sort();
  const at = new Map(types.map((type, i) => [type, i]));
  const sentences = types.map(() => types.map(() => 0));
  for (const present of typesBySentence) for (const a of present) for (const b of present) sentences[at.get(a)!][at.get(b)!]++;
  const formTypes = new Map<string, Map<string, number>>();
  for (const { form, type } of mentions(refs)) {
    let counts = formTypes.get(form);
    if (!counts) formTypes.set(form, (counts = new Map()));
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const ambiguous = [...formTypes]
    .filter(([, counts]) => counts.size > 1)
    .map(([form, counts]) => ({
      form,
      mentions: [...counts.values()].reduce((a, b) => a + b, 0),
      types: Object.fromEntries([...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))),
    }))
    .sort((a, b) => b.mentions - a.mentions || (a.form < b.form ? -1 : a.form > b.form ? 1 : 0));
  return { types, sentences, ambiguousForms: ambiguous.length, topAmbiguousForms: ambiguous.slice(0, AMBIGUOUS_FORMS_LISTED) };
}

function* mentions(refs: SentenceRef[]): Generator<{ form: string; type: string }> {
  for (const { sentence } of refs) {
    for (const chunk of chunkEntities(sentence.tags)) yield { form: sentence.words.slice(chunk.start, chunk.end).join(' '), type: chunk.type };
  }
}

function median(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const share = (part: number, whole: number) => (whole ? part / whole : 0);

function sumCounts(counts: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [type, n] of Object.entries(c)) total[type] = (total[type] ?? 0) + n;
  return total;
}
