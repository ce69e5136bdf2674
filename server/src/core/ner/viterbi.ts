/**
 * Decoding of per-word label scores into tag sequences that are always valid: Viterbi and forward-backward over
 * a lattice whose impossible transitions (O → I-X, B-X → I-Y, …) are removed. With a CRF its learned
 * transitions are added; without one, scores are log-softmaxed and every allowed transition costs nothing.
 */
import { isClosing, isSingle, parseTag, type Tag } from '../conll/tags';

export interface Crf {
  /** transitions[from][to], start[to], end[from]: scores added to the path's emissions. */
  transitions: number[][];
  start: number[];
  end: number[];
}

export interface Decoded {
  labels: number[];
  /** marginals[word][label]: probability of each label at each word under the constrained model. */
  marginals: Float64Array[];
}

const NEG = -Infinity;

/** Which label may follow which, and which may start or end a sentence, whatever the scheme of the label set. */
export class TransitionMask {
  readonly allowed: boolean[][];
  readonly canStart: boolean[];
  readonly canEnd: boolean[];

  constructor(labels: readonly string[]) {
    const tags: Tag[] = labels.map((label) => {
      const parsed = parseTag(label);
      if (!parsed.ok) throw new Error(`label '${label}' is not a BIO tag: ${parsed.reason}`);
      return parsed.tag;
    });
    const continues = (tag: Tag) => tag.prefix === 'I' || isClosing(tag.prefix);
    const open = (tag: Tag) => tag.prefix === 'B' || tag.prefix === 'I';
    const hasEnds = tags.some((t) => isClosing(t.prefix) || isSingle(t.prefix));
    this.canStart = tags.map((t) => !continues(t));
    this.canEnd = tags.map((t) => !hasEnds || !open(t));
    this.allowed = tags.map((from) =>
      tags.map((to) => {
        if (continues(to)) return open(from) && from.type === to.type;
        // With E-/S- (L-/U-) labels an open entity must be closed before anything else starts.
        return !hasEnds || !open(from);
      }),
    );
  }
}

function logSoftmaxRow(row: Float32Array | number[]): Float64Array {
  let max = NEG;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const log = max + Math.log(sum);
  return Float64Array.from(row, (v) => v - log);
}

function logSumExp(values: Float64Array | number[]): number {
  let max = NEG;
  for (const v of values) max = Math.max(max, v);
  if (max === NEG) return NEG;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

export function decode(scores: (Float32Array | number[])[], mask: TransitionMask, crf?: Crf): Decoded {
  const n = scores.length;
  if (n === 0) return { labels: [], marginals: [] };
  const L = mask.canStart.length;
  const emissions = crf ? scores.map((row) => Float64Array.from(row)) : scores.map(logSoftmaxRow);
  const trans = (from: number, to: number) => (mask.allowed[from][to] ? (crf ? crf.transitions[from][to] : 0) : NEG);
  const startScore = (j: number) => (mask.canStart[j] ? (crf ? crf.start[j] : 0) : NEG);
  const endScore = (j: number) => (mask.canEnd[j] ? (crf ? crf.end[j] : 0) : NEG);

  // Viterbi.
  let best = Float64Array.from({ length: L }, (_, j) => startScore(j) + emissions[0][j]);
  const back: Int32Array[] = [];
  for (let t = 1; t < n; t++) {
    const next = new Float64Array(L).fill(NEG);
    const pointers = new Int32Array(L);
    for (let j = 0; j < L; j++) {
      for (let i = 0; i < L; i++) {
        const s = best[i] + trans(i, j);
        if (s > next[j]) {
          next[j] = s;
          pointers[j] = i;
        }
      }
      next[j] += emissions[t][j];
    }
    back.push(pointers);
    best = next;
  }
  let last = 0;
  for (let j = 1; j < L; j++) if (best[j] + endScore(j) > best[last] + endScore(last)) last = j;
  const labels = new Array<number>(n);
  labels[n - 1] = last;
  for (let t = n - 1; t > 0; t--) labels[t - 1] = back[t - 1][labels[t]];

  // Forward-backward for marginals.
  const alpha: Float64Array[] = [Float64Array.from({ length: L }, (_, j) => startScore(j) + emissions[0][j])];
  for (let t = 1; t < n; t++) {
    alpha.push(Float64Array.from({ length: L }, (_, j) => logSumExp(Array.from({ length: L }, (_, i) => alpha[t - 1][i] + trans(i, j))) + emissions[t][j]));
  }
  const beta: Float64Array[] = new Array(n);
  beta[n - 1] = Float64Array.from({ length: L }, (_, j) => endScore(j));
  for (let t = n - 2; t >= 0; t--) {
    beta[t] = Float64Array.from({ length: L }, (_, i) => logSumExp(Array.from({ length: L }, (_, j) => trans(i, j) + emissions[t + 1][j] + beta[t + 1][j])));
  }
  const logZ = logSumExp(Float64Array.from({ length: L }, (_, j) => alpha[n - 1][j] + beta[n - 1][j]));
  const marginals = alpha.map((a, t) => Float64Array.from({ length: L }, (_, j) => Math.exp(a[j] + beta[t][j] - logZ)));
  return { labels, marginals };
}

/** Each word's highest-scoring label, unconstrained: what a plain token-classification pipeline outputs. */
export function decodeArgmax(scores: (Float32Array | number[])[]): Decoded {
  const marginals = scores.map((row) => logSoftmaxRow(row).map(Math.exp));
  const labels = marginals.map((row) => row.indexOf(Math.max(...row)));
  return { labels, marginals };
}
