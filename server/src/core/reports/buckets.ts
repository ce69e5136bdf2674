/** The buckets and bounds statistics and scores are counted with, and their labels: shared by the CLI, the exports and the charts. */

/** Sentence lengths in tokens: upper bounds of the histogram's buckets (the last one is open). */
export const SENTENCE_LENGTH_BUCKETS = [10, 25, 50, 100] as const;

/** `≤10`, `≤25`, …, `>100`: one label per bucket of a sentence-length histogram. */
export function sentenceLengthLabels(): string[] {
  return [...SENTENCE_LENGTH_BUCKETS.map((bound) => `≤${bound}`), `>${SENTENCE_LENGTH_BUCKETS[SENTENCE_LENGTH_BUCKETS.length - 1]}`];
}

/** Entity lengths in tokens, as the statistics count them ([1, 2, ≥3]). */
export const ENTITY_LENGTH_LABELS = ['1', '2', '≥3'] as const;

/** The label of a scorer's length bucket ('1', '2', '>=3'). */
export const entityLengthLabel = (bucket: string): string => (bucket === '>=3' ? '≥3' : bucket);

/** spaCy's `debug data` warns on labels with this many training examples or fewer. */
export const RARE_TYPE_EXAMPLES = 50;
