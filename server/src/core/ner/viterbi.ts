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

/** Transition scores as a flat L×L matrix (-Infinity where forbidden), plus start and end scores. */
function lattice(mask: TransitionMask, crf?: Crf): { trans: Float64Array; start: Float64Array; end: Float64Array } {
  const L = mask.canStart.length;
  const trans = new Float64Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) trans[i * L + j] = mask.allowed[i][j] ? (crf ? crf.transitions[i][j] : 0) : NEG;
  const start = Float64Array.from({ length: L }, (_, j) => (mask.canStart[j] ? (crf ? crf.start[j] : 0) : NEG));
  const end = Float64Array.from({ length: L }, (_, j) => (mask.canEnd[j] ? (crf ? crf.end[j] : 0) : NEG));
  return { trans, start, end };
}

export function decode(scores: (Float32Array | number[])[], mask: TransitionMask, crf?: Crf): Decoded {
  const n = scores.length;
  if (n === 0) return { labels: [], marginals: [] };
  const L = mask.canStart.length;
  const { trans, start, end } = lattices(mask, crf);
  // emissions[t * L + j]: raw CRF scores, or log-probabilities without a CRF.
  const emissions = new Float64Array(n * L);
  scores.forEach((row, t) => emissions.set(crf ? row : logSoftmaxRow(row), t * L));

  // Viterbi, with back-pointers.
  const best = new Float64Array(n * L);
  const back = new Int32Array(n * L);
  for (let j = 0; j < L; j++) best[j] = start[j] + emissions[j];
  for (let t = 1; t < n; t++) {
    for (let j = 0; j < L; j++) {
      let top = NEG;
      let arg = 0;
      for (let i = 0; i < L; i++) {
        const v = best[(t - 1) * L + i] + trans[i * L + j];
        if (v > top) {
          top = v;
          arg = i;
        }
      }
      best[t * L + j] = top + emissions[t * L + j];
      back[t * L + j] = arg;
    }
  }
  let last = 0;
  for (let j = 1; j < L; j++) if (best[(n - 1) * L + j] + end[j] > best[(n - 1) * L + last] + end[last]) last = j;
  const labels = new Array<number>(n);
  labels[n - 1] = last;
  for (let t = n - 1; t > 0; t--) labels[t - 1] = back[t * L + labels[t]];

  return { labels, marginals: scaledMarginals(emissions, n, L, lattices(mask, crf)) ?? logMarginals(emissions, n, L, trans, start, end) };
}

/** A lattice's scores and their exponentials, made once per head instead of once per sentence. */
interface Lattice {
  trans: Float64Array;
  start: Float64Array;
  end: Float64Array;
  expTrans: Float64Array;
  expStart: Float64Array;
  expEnd: Float64Array;
}

const latticeCache = new WeakMap<TransitionMask, Map<Crf | undefined, Lattice>>();

function lattices(mask: TransitionMask, crf?: Crf): Lattice {
  let byCrf = latticeCache.get(mask);
  if (!byCrf) latticeCache.set(mask, (byCrf = new Map()));
  let found = byCrf.get(crf);
  if (!found) {
    const { trans, start, end } = lattice(mask, crf);
    found = { trans, start, end, expTrans: trans.map(Math.exp), expStart: start.map(Math.exp), expEnd: end.map(Math.exp) };
    byCrf.set(crf, found);
  }
  return found;
}

/**
 * Forward-backward in probability space, each step rescaled to sum 1 (Rabiner 1989): one exp per word and label
 * instead of one per label pair, as log space needs. Undefined when a step underflows to zero; log space then.
 */
function scaledMarginals(emissions: Float64Array, n: number, L: number, lattice: Lattice): Float64Array[] | undefined {
  const { expTrans, expStart, expEnd } = lattice;
  // e[t * L + j] = exp(emission - the word's largest emission): a per-word factor, which the rescaling removes.
  const e = new Float64Array(n * L);
  for (let t = 0; t < n; t++) {
    let max = NEG;
    for (let j = 0; j < L; j++) max = Math.max(max, emissions[t * L + j]);
    for (let j = 0; j < L; j++) e[t * L + j] = Math.exp(emissions[t * L + j] - max);
  }
  const alpha = new Float64Array(n * L);
  const beta = new Float64Array(n * L);
  const normalize = (v: Float64Array, at: number): boolean => {
    let sum = 0;
    for (let j = 0; j < L; j++) sum += v[at + j];
    if (!(sum > 0) || !Number.isFinite(sum)) return false;
    for (let j = 0; j < L; j++) v[at + j] /= sum;
    return true;
  };
  for (let j = 0; j < L; j++) alpha[j] = expStart[j] * e[j];
  if (!normalize(alpha, 0)) return undefined;
  for (let t = 1; t < n; t++) {
    for (let j = 0; j < L; j++) {
      let sum = 0;
      for (let i = 0; i < L; i++) sum += alpha[(t - 1) * L + i] * expTrans[i * L + j];
      alpha[t * L + j] = sum * e[t * L + j];
    }
    if (!normalize(alpha, t * L)) return undefined;
  }
  for (let j = 0; j < L; j++) beta[(n - 1) * L + j] = expEnd[j];
  if (!normalize(beta, (n - 1) * L)) return undefined;
  for (let t = n - 2; t >= 0; t--) {
    for (let i = 0; i < L; i++) {
      let sum = 0;
      for (let j = 0; j < L; j++) sum += expTrans[i * L + j] * e[(t + 1) * L + j] * beta[(t + 1) * L + j];
      beta[t * L + i] = sum;
    }
    if (!normalize(beta, t * L)) return undefined;
  }
  const marginals: Float64Array[] = [];
  for (let t = 0; t < n; t++) {
    const row = new Float64Array(L);
    for (let j = 0; j < L; j++) row[j] = alpha[t * L + j] * beta[t * L + j];
    if (!normalize(row, 0)) return undefined;
    marginals.push(row);
  }
  return marginals;
}

/** Forward-backward in log space: exact where probability space underflows. */
function logMarginals(emissions: Float64Array, n: number, L: number, trans: Float64Array, start: Float64Array, end: Float64Array): Float64Array[] {
  const alpha = new Float64Array(n * L);
  const beta = new Float64Array(n * L);
  const terms = new Float64Array(L);
  for (let j = 0; j < L; j++) alpha[j] = start[j] + emissions[j];
  for (let t = 1; t < n; t++) {
    for (let j = 0; j < L; j++) {
      for (let i = 0; i < L; i++) terms[i] = alpha[(t - 1) * L + i] + trans[i * L + j];
      alpha[t * L + j] = logSumExp(terms) + emissions[t * L + j];
    }
  }
  for (let j = 0; j < L; j++) beta[(n - 1) * L + j] = end[j];
  for (let t = n - 2; t >= 0; t--) {
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) terms[j] = trans[i * L + j] + emissions[(t + 1) * L + j] + beta[(t + 1) * L + j];
      beta[t * L + i] = logSumExp(terms);
    }
  }
  for (let j = 0; j < L; j++) terms[j] = alpha[(n - 1) * L + j] + beta[(n - 1) * L + j];
  const logZ = logSumExp(terms);
  const marginals: Float64Array[] = [];
  for (let t = 0; t < n; t++) {
    const row = new Float64Array(L);
    for (let j = 0; j < L; j++) row[j] = Math.exp(alpha[t * L + j] + beta[t * L + j] - logZ);
    marginals.push(row);
  }
  return marginals;
}

function logSumExp(values: Float64Array): number {
  let max = NEG;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (max === NEG) return NEG;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

/** Each word's highest-scoring label, unconstrained: what a plain token-classification pipeline outputs. */
export function decodeArgmax(scores: (Float32Array | number[])[]): Decoded {
  const marginals = scores.map((row) => logSoftmaxRow(row).map(Math.exp));
  const labels = marginals.map((row) => row.indexOf(Math.max(...row)));
  return { labels, marginals };
}
