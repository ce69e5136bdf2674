/** Per word, one IOB2 label distribution over the reviewed entity types, made from a model's heads; its type-collapsed view. */
import { parseTag } from '../conll/tags';
import type { HeadProbabilities, NerEngine, PredictOptions } from '../ner/engine';

export interface TagProbabilities {
  /** Column names: `O`, then `B-T` and `I-T` of each reviewed type (in the type-collapsed view: `O`, then each type). */
  labels: readonly string[];
  /** Word t's probabilities of `labels` are [t * labels.length, (t + 1) * labels.length); each row sums to 1. */
  values: Float32Array;
}

/** A sentence's label probabilities and the model's decoded (Viterbi) IOB2 tags: what review compares gold with. */
export interface ModelView {
  probabilities: TagProbabilities;
  decoded: readonly string[];
}

/** The IOB2 columns of some types: `O`, then `B-T`, `I-T` per type. */
export function iob2Labels(types: readonly string[]): string[] {
  return ['O', ...types.flatMap((type) => [`B-${type}`, `I-${type}`])];
}

/**
 * The heads' marginals as one IOB2 distribution over `types`. A head's other schemes fold into IOB2 (S-/U- count as
 * B-, E-/L- as I-) and its labels of other types into O. Each type's columns come from the head that predicts it
 * (the most probable when several do); O is the lowest of the heads' O, since a word is outside every entity only
 * when no head has one there; the row is then scaled to sum 1. With one head this is that head's distribution.
 */
export function combineHeads(heads: readonly HeadProbabilities[], types: readonly string[], words: number): TagProbabilities {
  const labels = iob2Labels(types);
  const width = labels.length;
  const values = new Float32Array(words * width);
  const outside = new Float64Array(words).fill(heads.length > 0 ? 1 : 0);
  // One head's probabilities of a word in the IOB2 columns: its labels that fold into one column add up.
  const row = new Float64Array(width);
  for (const head of heads) {
    const columns = head.labels.map((label) => iob2Column(label, types));
    const own = head.labels.length;
    for (let t = 0; t < words; t++) {
      row.fill(0);
      for (let k = 0; k < own; k++) row[columns[k]] += head.marginals[t * own + k];
      outside[t] = Math.min(outside[t], row[0]);
      for (let k = 1; k < width; k++) values[t * width + k] = Math.max(values[t * width + k], row[k]);
    }
  }
  for (let t = 0; t < words; t++) {
    values[t * width] = outside[t];
    let sum = 0;
    for (let k = 0; k < width; k++) sum += values[t * width + k];
    for (let k = 0; k < width; k++) values[t * width + k] = sum > 0 ? values[t * width + k] / sum : k === 0 ? 1 : 0;
  }
  return { labels, values };
}

/** A head label's IOB2 column among `iob2Labels(types)`; 0 (O) for O and for types not reviewed. */
function iob2Column(label: string, types: readonly string[]): number {
  const parsed = parseTag(label);
  if (!parsed.ok || parsed.tag.prefix === 'O') return 0;
  const type = types.indexOf(parsed.tag.type);
  if (type < 0) return 0;
  const begins = parsed.tag.prefix === 'B' || parsed.tag.prefix === 'S' || parsed.tag.prefix === 'U';
  return 1 + 2 * type + (begins ? 0 : 1);
}

/** The type-collapsed view of IOB2 probabilities: `O`, then each type with its B- and I- probabilities summed. */
export function collapseTypes(probabilities: TagProbabilities): TagProbabilities {
  const { labels, values } = probabilities;
  const types = labels.filter((label) => label.startsWith('B-')).map((label) => label.slice(2));
  const width = labels.length;
  const words = values.length / width;
  const collapsed = new Float32Array(words * (types.length + 1));
  for (let t = 0; t < words; t++) {
    collapsed[t * (types.length + 1)] = values[t * width];
    for (let k = 1; k < width; k++) collapsed[t * (types.length + 1) + 1 + ((k - 1) >> 1)] += values[t * width + k];
  }
  return { labels: ['O', ...types], values: collapsed };
}

/**
 * The entity types to review in a file: `requested` (from `--types`), else the file's own types, each only when the
 * model predicts it (the model cannot judge a type it never predicts); every predicted type for a file without
 * entities. Also the file's types left out.
 */
export function reviewedTypes(
  annotated: Iterable<string>,
  predicted: ReadonlySet<string>,
  requested?: ReadonlySet<string>,
): { types: string[]; notPredicted: string[] } {
  const gold = new Set(annotated);
  const wanted = requested ?? (gold.size > 0 ? gold : predicted);
  return { types: [...wanted].filter((type) => predicted.has(type)).sort(), notPredicted: [...gold].filter((type) => !predicted.has(type)).sort() };
}

/** The model's view of each sentence, on `types`: the engine run once, its heads combined. */
export async function modelViews(
  engine: NerEngine,
  sentences: readonly (readonly string[])[],
  types: readonly string[],
  options: Pick<PredictOptions, 'isCancelled' | 'onProgress'> = {},
): Promise<ModelView[]> {
  const results = await engine.labelProbabilities(sentences, { ...options, types: new Set(types) });
  return results.map((result, i) => ({ probabilities: combineHeads(result.heads, types, sentences[i].length), decoded: result.labels }));
}
