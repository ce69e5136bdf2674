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
const overlaps = (a: Chunk, b: Chunk) => a.type === b.type && a.start < b.end && b.start < a.end;

/** Scores aligned sentences of gold and predicted tags (same number of tokens in each pair). */
export function evaluate(gold: readonly TagSequence[], predicted: readonly TagSequence[]): Evaluation {
  if (gold.length !== predicted.length) throw new Error(`gold has ${gold.length} sentences, predictions ${predicted.length}`);
  const overall = emptyTally();
  const perType = new Map<string, Tally>();
  const perLength = new Map<LengthBucket, Tally>([
    ['1', emptyTally()],
    ['2', emptyTally()],
    ['>=3', emptyTally()],
  ]);
  let tokens = 0;
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
      }
    };
    count(predChunks, goldChunks, 'Predicted');
    count(goldChunks, predChunks, 'Gold');
  });
  return {
    ...toScores(overall),
    perType: Object.fromEntries([...perType].sort(([a], [b]) => a.localeCompare(b)).map(([type, t]) => [type, toScores(t)])),
    perLength: Object.fromEntries([...perLength].map(([bucket, t]) => [bucket, toScores(t)])) as Record<LengthBucket, Scores>,
    sentences: gold.length,
    tokens,
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
