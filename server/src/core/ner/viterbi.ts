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
  /** Probability of each label at each word under the constrained model: word t's row is [t * width, (t + 1) * width). */
  marginals: Float64Array;
  width: number;
}

/** Word t's label probabilities (a view). */
export function marginalRow(decoded: Decoded, t: number): Float64Array {
  return decoded.marginals.subarray(t * decoded.width, (t + 1) * decoded.width);
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

/** Writes the log-softmax of `row` at `out[at…]`. */
function logSoftmaxInto(row: Float32Array | readonly number[], out: Float64Array, at: number): void {
  let max = NEG;
  for (let j = 0; j < row.length; j++) if (row[j] > max) max = row[j];
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j] - max);
  const log = max + Math.log(sum);
  for (let j = 0; j < row.length; j++) out[at + j] = row[j] - log;
}

/**
 * Work arrays reused from sentence to sentence: decoding runs for every sentence of every head, and fresh arrays
 * per word and step made the garbage collector a fifth of the decoding time.
 */
let scratch = new Float64Array(0);
let backPointers = new Int32Array(0);

/** Four n×L work areas (emissions, then Viterbi scores or exponentials, alpha, beta); back-pointers beside them. */
function workArea(size: number): Float64Array {
  if (scratch.length < 4 * size) {
    scratch = new Float64Array(8 * size);
    backPointers = new Int32Array(2 * size);
  }
  return scratch;
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

export function decode(scores: readonly (Float32Array | readonly number[])[], mask: TransitionMask, crf?: Crf): Decoded {
  const n = scores.length;
  const L = mask.canStart.length;
  if (n === 0) return { labels: [], marginals: new Float64Array(0), width: L };
  const lattice = lattices(mask, crf);
  const { trans, start, end } = lattice;
  const work = workArea(n * L);
  // emissions[t * L + j]: raw CRF scores, or log-probabilities without a CRF.
  const emissions = work.subarray(0, n * L);
  for (let t = 0; t < n; t++) {
    if (crf) emissions.set(scores[t], t * L);
    else logSoftmaxInto(scores[t], emissions, t * L);
  }

  // Viterbi, with back-pointers.
  const best = work.subarray(n * L, 2 * n * L);
  const back = backPointers;
  for (let j = 0; j < L; j++) best[j] = start[j] + emissions[j];
  for (let t = 1; t < n; t++) {
    const previous = (t - 1) * L;
    for (let j = 0; j < L; j++) {
      let top = NEG;
      let arg = 0;
      for (let i = 0; i < L; i++) {
        const v = best[previous + i] + trans[i * L + j];
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

  const marginals = new Float64Array(n * L);
  if (!scaledMarginals(work, n, L, lattice, marginals)) logMarginals(work, n, L, lattice, marginals);
  return { labels, marginals, width: L };
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

/** Scales v[at…at+L) to sum 1; false when it sums to zero or overflows. */
function normalize(v: Float64Array, at: number, L: number): boolean {
  let sum = 0;
  for (let j = 0; j < L; j++) sum += v[at + j];
  if (!(sum > 0) || !Number.isFinite(sum)) return false;
  for (let j = 0; j < L; j++) v[at + j] /= sum;
  return true;
}

/**
 * Forward-backward in probability space, each step rescaled to sum 1 (Rabiner 1989): one exp per word and label
 * instead of one per label pair, as log space needs. The emissions are the work area's first n×L; false when a
 * step underflows to zero (log space then).
 */
function scaledMarginals(work: Float64Array, n: number, L: number, lattice: Lattice, marginals: Float64Array): boolean {
  const { expTrans, expStart, expEnd } = lattice;
  const size = n * L;
  // e[t * L + j] = exp(emission - the word's largest emission): a per-word factor, which the rescaling removes.
  const e = work.subarray(size, 2 * size);
  const alpha = work.subarray(2 * size, 3 * size);
  const beta = work.subarray(3 * size, 4 * size);
  for (let t = 0; t < n; t++) {
    let max = NEG;
    for (let j = 0; j < L; j++) if (work[t * L + j] > max) max = work[t * L + j];
    for (let j = 0; j < L; j++) e[t * L + j] = Math.exp(work[t * L + j] - max);
  }
  for (let j = 0; j < L; j++) alpha[j] = expStart[j] * e[j];
  if (!normalize(alpha, 0, L)) return false;
  for (let t = 1; t < n; t++) {
    for (let j = 0; j < L; j++) {
      let sum = 0;
      for (let i = 0; i < L; i++) sum += alpha[(t - 1) * L + i] * expTrans[i * L + j];
      alpha[t * L + j] = sum * e[t * L + j];
    }
    if (!normalize(alpha, t * L, L)) return false;
  }
  for (let j = 0; j < L; j++) beta[(n - 1) * L + j] = expEnd[j];
  if (!normalize(beta, (n - 1) * L, L)) return false;
  for (let t = n - 2; t >= 0; t--) {
    const next = (t + 1) * L;
    for (let i = 0; i < L; i++) {
      let sum = 0;
      for (let j = 0; j < L; j++) sum += expTrans[i * L + j] * e[next + j] * beta[next + j];
      beta[t * L + i] = sum;
    }
    if (!normalize(beta, t * L, L)) return false;
  }
  for (let k = 0; k < size; k++) marginals[k] = alpha[k] * beta[k];
  for (let t = 0; t < n; t++) if (!normalize(marginals, t * L, L)) return false;
  return true;
}

/** Forward-backward in log space over the work area's emissions: exact where probability space underflows. */
function logMarginals(emissions: Float64Array, n: number, L: number, lattice: Lattice, marginals: Float64Array): void {
  const { trans, start, end } = lattice;
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
  for (let k = 0; k < n * L; k++) marginals[k] = Math.exp(alpha[k] + beta[k] - logZ);
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
export function decodeArgmax(scores: readonly (Float32Array | readonly number[])[]): Decoded {
  const n = scores.length;
  const L = n > 0 ? scores[0].length : 0;
  const marginals = new Float64Array(n * L);
  const labels = new Array<number>(n);
  for (let t = 0; t < n; t++) {
    logSoftmaxInto(scores[t], marginals, t * L);
    let top = 0;
    for (let j = 0; j < L; j++) {
      marginals[t * L + j] = Math.exp(marginals[t * L + j]);
      if (marginals[t * L + j] > marginals[t * L + top]) top = j;
    }
    labels[t] = top;
  }
  return { labels, marginals, width: L };
}
