/**
 * Entity-level evaluation as in the encoder-vs-LLM study: strict and relaxed precision/recall/F1, overall, per
 * type and per entity length (1, 2, ≥3 tokens). Chunking is conlleval's, so strict scores equal conlleval's.
 */
import { chunkEntities, type Chunk, type TagSequence } from '../conll/sequence';

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  /** Counts behind the ratios: predicted and gold entities, and the matched ones of each. */
  predicted: number;
  gold: number;
  correctPredicted: number;
  foundGold: number;
}

export interface Scores {
  strict: Prf;
  relaxed: Prf;
}

export type LengthBucket = '1' | '2' | '>=3';

export interface Evaluation extends Scores {
  perType: Record<string, Scores>;
  perLength: Record<LengthBucket, Scores>;
  sentences: number;
  tokens: number;
  /** With `errors: true`: every entity that strict matching counts as an error, in sentence and word order. */
  errors?: EntityError[];
}

/**
 * An entity strict matching counts as an error: a predicted one no gold entity equals (a false positive, against
 * precision) or a gold one no predicted entity equals (a false negative, against recall). It counts in the row of its
 * type, in the row of its length, and overall; in the relaxed columns too when `relaxed`.
 */
export interface EntityError extends Chunk {
  kind: 'false-positive' | 'false-negative';
  /** Index of the sentence among the scored ones; start and end are word indices in it. */
  sentence: number;
  length: LengthBucket;
  /** Also an error of relaxed matching: no entity of its type on the other side overlaps it. */
  relaxed: boolean;
  /** The other side's entities overlapping it, of any type: what gold has where the model predicted it, or what the model predicted over it. */
  overlapping: Chunk[];
}

export interface EvaluateOptions {
  /** List the errors behind the counts (Evaluation.errors). */
  errors?: boolean;
}

/** A cell of the score table: a row (overall, a type or a length) and a column (strict or relaxed precision, recall or F1). */
export interface ScoreCell {
  row: { type: string } | { length: LengthBucket } | 'overall';
  matching: 'strict' | 'relaxed';
  measure: 'precision' | 'recall' | 'f1';
}

/** The errors a cell's figure counts: false positives for precision, false negatives for recall, both for F1. */
export function cellErrors<E extends Pick<EntityError, 'kind' | 'type' | 'length' | 'relaxed'>>(errors: readonly E[], cell: ScoreCell): E[] {
  const { row, matching, measure } = cell;
  return errors.filter(
    (e) =>
      (row === 'overall' || ('type' in row ? e.type === row.type : e.length === row.length)) &&
      (matching === 'strict' || e.relaxed) &&
      (measure === 'f1' || e.kind === (measure === 'precision' ? 'false-positive' : 'false-negative')),
  );
}

interface Tally {
  predicted: number;
  gold: number;
  strictPredicted: number;
  strictGold: number;
  relaxedPredicted: number;
  relaxedGold: number;
}

const emptyTally = (): Tally => ({ predicted: 0, gold: 0, strictPredicted: 0, strictGold: 0, relaxedPredicted: 0, relaxedGold: 0 });

export function lengthBucket(chunk: Chunk): LengthBucket {
  const length = chunk.end - chunk.start;
  return length === 1 ? '1' : length === 2 ? '2' : '>=3';
}

const sameSpan = (a: Chunk, b: Chunk) => a.start === b.start && a.end === b.end && a.type === b.type;
const crosses = (a: Chunk, b: Chunk) => a.start < b.end && b.start < a.end;
const overlaps = (a: Chunk, b: Chunk) => a.type === b.type && crosses(a, b);

/** Scores aligned sentences of gold and predicted tags (same number of tokens in each pair). */
export function evaluate(gold: readonly TagSequence[], predicted: readonly TagSequence[], options: EvaluateOptions = {}): Evaluation {
  if (gold.length !== predicted.length) throw new Error(`gold has ${gold.length} sentences, predictions ${predicted.length}`);
  const overall = emptyTally();
  const perType = new Map<string, Tally>();
  const perLength = new Map<LengthBucket, Tally>([
    ['1', emptyTally()],
    ['2', emptyTally()],
    ['>=3', emptyTally()],
  ]);
  let tokens = 0;
  const errors: EntityError[] | undefined = options.errors ? [] : undefined;
  gold.forEach((goldTags, s) => {
    const predTags = predicted[s];
    if (goldTags.length !== predTags.length) throw new Error(`sentence ${s + 1}: ${goldTags.length} gold tokens but ${predTags.length} predicted`);
    tokens += goldTags.length;
    const goldChunks = chunkEntities(goldTags);
    const predChunks = chunkEntities(predTags);
    const tallies = (chunk: Chunk) => {
      if (!perType.has(chunk.type)) perType.set(chunk.type, emptyTally());
      return [overall, perType.get(chunk.type)!, perLength.get(lengthBucket(chunk))!];
    };
    // Each side's entities are counted, and matched strictly and relaxedly against the other side's.
    const count = (chunks: Chunk[], others: Chunk[], side: 'Predicted' | 'Gold') => {
      for (const chunk of chunks) {
        const strict = others.some((o) => sameSpan(o, chunk));
        const relaxed = others.some((o) => overlaps(o, chunk));
        for (const t of tallies(chunk)) {
          t[side === 'Predicted' ? 'predicted' : 'gold']++;
          if (strict) t[`strict${side}`]++;
          if (relaxed) t[`relaxed${side}`]++;
        }
        if (errors && !strict) {
          const kind = side === 'Predicted' ? 'false-positive' : 'false-negative';
          errors.push({ kind, sentence: s, ...chunk, length: lengthBucket(chunk), relaxed: !relaxed, overlapping: others.filter((o) => crosses(o, chunk)) });
        }
      }
    };
    count(predChunks, goldChunks, 'Predicted');
    count(goldChunks, predChunks, 'Gold');
  });
  errors?.sort((a, b) => a.sentence - b.sentence || a.start - b.start || a.end - b.end || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  return {
    ...toScores(overall),
    perType: Object.fromEntries([...perType].sort(([a], [b]) => a.localeCompare(b)).map(([type, t]) => [type, toScores(t)])),
    perLength: Object.fromEntries([...perLength].map(([bucket, t]) => [bucket, toScores(t)])) as Record<LengthBucket, Scores>,
    sentences: gold.length,
    tokens,
    ...(errors && { errors }),
  };
}

function prf(predicted: number, gold: number, correctPredicted: number, foundGold: number): Prf {
  const precision = predicted ? correctPredicted / predicted : 0;
  const recall = gold ? foundGold / gold : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, predicted, gold, correctPredicted, foundGold };
}

function toScores(t: Tally): Scores {
  return {
    strict: prf(t.predicted, t.gold, t.strictPredicted, t.strictGold),
    relaxed: prf(t.predicted, t.gold, t.relaxedPredicted, t.relaxedGold),
  };
}
