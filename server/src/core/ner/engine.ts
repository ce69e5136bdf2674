/**
 * The NER engine: sentences of words in, valid tag sequences with confidences out. Sub-word windows are batched
 * by length and run in worker threads or by an inference server (RemoteGraph); results are cached per sentence,
 * keyed by model and words.
 */
import { tagsForChunks } from '../conll/convert';
import { endianness } from 'node:os';
import { chunkEntities } from '../conll/sequence';
import { parseTag, type Tag } from '../conll/tags';
import type { AbbreviationSource } from './abbreviations';
import { Cancelled } from './cancelled';
import { loadModelFolder, ModelFolderError, type Head, type ModelFolder } from './modelFolder';
import { bestWindowPerWord, SubwordEncoder, type Window } from './subwords';
import { decode, decodeArgmax, TransitionMask, type Crf } from './viterbi';
import { GraphUnavailable, InferenceServerError, type Graph } from './graph';
import { WorkerPool } from './workerPool';
import type { Device } from './workerProtocol';

export interface PredictedSpan {
  /** Word indices, end exclusive. */
  start: number;
  end: number;
  type: string;
  /** Probability that every word of the span has its predicted label (the lowest word marginal). */
  confidence: number;
  /** Set when the type is that of an abbreviation's other form in the document (withAbbreviationTypes). */
  abbreviation?: AbbreviationSource;
}

export interface SentencePrediction {
  labels: string[];
  spans: PredictedSpan[];
  /** Per word, the most probable labels by their marginal probability. */
  ranked: { label: string; probability: number }[][];
}

/** One decoded head's label probabilities over a sentence. */
export interface HeadProbabilities {
  /** The head's label names (BIO tags), one per column. */
  labels: readonly string[];
  /** Word t's probabilities of `labels` (CRF marginals) are [t * labels.length, (t + 1) * labels.length). */
  marginals: Float32Array;
}

/** A sentence's decoded labels and every decoded head's full label probabilities: what label review scores gold with. */
export interface SentenceProbabilities {
  /** The labels `predict` gives (IOB2, the chosen types, the heads' spans merged). */
  labels: string[];
  heads: HeadProbabilities[];
}

export interface EngineOptions {
  device?: Device;
  threads?: number;
  workers?: number;
  preferQuantized?: boolean;
  workerScript?: string;
  /** `argmax` skips the constrained decoding: only for comparing with plain pipelines. */
  decoding?: 'constrained' | 'argmax';
  /**
   * Decode only these heads of a multi-head model (by `bioner.heads` name), e.g. to score one corpus; by default
   * the heads marked as part of the default output.
   */
  heads?: readonly string[];
  /**
   * The types most predictions will ask for (`bioner.entityTypes` in the editor): the graph sessions made at load
   * compute only their heads. Every decoded head by default, or when no head predicts them.
   */
  usualTypes?: ReadonlySet<string>;
  /** An inference worker died and is being replaced. */
  onWorkerExit?: (message: string) => void;
  /** Runs the graph elsewhere than in local worker threads (e.g. a RemoteGraph on an inference server). */
  graph?: (folder: ModelFolder) => Promise<Graph>;
}

export interface PredictOptions {
  /**
   * Only these entity types: heads without any of them are not decoded, and spans of other types are dropped
   * before the heads' spans are merged, so a dropped span never hides one of a chosen type. Every type by default.
   */
  types?: ReadonlySet<string>;
  isCancelled?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Sub-word positions per batch: bounds memory and keeps batches of similar lengths. Each session's peak memory grows
 * with it (the graph's intermediates): 8192 held about 80 MB more per worker than 1024 (server 486 against 331 MB
 * with two workers), and once the char-CNN became lookup tables 1024 held 398 MB against 348 for 512, whose first
 * pass over the 5,000-sentence note was also the fastest (6.3 s; 6.7 s with 1024, 6.9 s with 256).
 */
const BATCH_SUBWORDS = 512;
const MAX_BATCH = 64;
/** Sentences batched on their own before the next are encoded: encoding all 5,000 first kept the workers idle 300 ms. */
const FIRST_SENTENCES = 200;
/** Sentences encoded between yields to the event loop (about 15 ms). */
const ENCODE_SLICE = 200;
const CACHE_LIMIT = 50_000;
const RANKED_LABELS = 3;
/** Which 32-bit half of an int64 holds its low bits on this machine. */
const LOW_WORD = endianness() === 'LE' ? 0 : 1;

export class NerEngine {
  /** Predictions by type selection, then by the sentence's words: a key found again is the same string object,
   * whose hash V8 keeps, where a concatenated key was hashed anew on every lookup (15 ms per edit of 5,000 sentences). */
  private readonly caches = new Map<string, Map<string, SentencePrediction>>();
  /** Words and seconds of model time, for the tokens/s figure. */
  private wordsDone = 0;
  private secondsSpent = 0;

  private constructor(
    readonly folder: ModelFolder,
    private readonly encoder: SubwordEncoder,
    private readonly graph: Graph,
    private readonly decoding: 'constrained' | 'argmax',
    private readonly heads: readonly DecodedHead[],
    /** The heads of the usual type selection: the graph is checked on them, so that no other session is made for it. */
    private readonly usualHeads: readonly DecodedHead[],
  ) {}

  static async load(dir: string, options: EngineOptions = {}): Promise<NerEngine> {
    const folder = loadModelFolder(dir, { preferQuantized: options.preferQuantized });
    // Argmax mode mirrors plain pipelines: one argmax over every label of every head.
    const selected = options.decoding === 'argmax' ? [{ name: 'all', labels: folder.labels.map((_, i) => i), byDefault: true }] : selectHeads(folder, options.heads);
    const heads = selected.map((head) => decodedHead(folder, head));
    const chosen = headsFor(heads, options.usualTypes);
    const usualHeads = chosen.length > 0 ? chosen : heads;
    const encoder = new SubwordEncoder(folder);
    const graph = options.graph
      ? await options.graph(folder)
      : await WorkerPool.start({
          onnxPath: folder.onnxPath,
          device: options.device ?? 'auto',
          threads: options.threads ?? 1,
          workers: options.workers ?? 1,
          headWidths: tiledHeadWidths(folder),
          heads: graphHeads(usualHeads),
          workerScript: options.workerScript,
          onWorkerExit: options.onWorkerExit,
        });
    const engine = new NerEngine(folder, encoder, graph, options.decoding ?? 'constrained', heads, usualHeads);
    try {
      await engine.probe();
    } catch (error) {
      await graph.dispose();
      throw error;
    }
    return engine;
  }

  /**
   * One run with the tokenizer's largest id, so that files that do not belong together fail at load with a clear
   * reason rather than on some later word: a vocabulary larger than the graph's embedding, or an id2label of
   * another width than the logits.
   */
  private async probe(): Promise<void> {
    const ids = [...this.encoder.prefix, this.encoder.largestId, ...this.encoder.suffix];
    let dims: number[];
    try {
      dims = (await this.graph.run(BigInt64Array.from(ids, BigInt), new BigInt64Array(ids.length).fill(1n), 1, ids.length, undefined, graphHeads(this.usualHeads))).dims;
    } catch (error) {
      // A server's failure is not the folder's: it says so itself.
      if (error instanceof GraphUnavailable || error instanceof InferenceServerError) throw error;
      throw new ModelFolderError(this.folder.dir, [
        `the graph rejects token id ${this.encoder.largestId}, the largest in tokenizer.json (is the tokenizer of another model, with more pieces than the graph's embedding?): ${(error as Error).message.split('\n')[0]}`,
      ]);
    }
    if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== ids.length) {
      throw new ModelFolderError(this.folder.dir, [`the graph's output has shape [${dims.join(', ')}], not [batch, sequence, labels]`]);
    }
    if (dims[2] !== this.folder.labels.length) {
      throw new ModelFolderError(this.folder.dir, [`config.json's id2label has ${this.folder.labels.length} labels but the graph's logits have ${dims[2]}`]);
    }
  }

  get device(): string {
    return this.graph.ready.device;
  }

  get fallbackReason(): string | undefined {
    return this.graph.ready.fallbackReason;
  }

  /** The entity types the decoded heads can predict. */
  get entityTypes(): ReadonlySet<string> {
    return new Set(this.heads.flatMap((head) => head.tags.map((tag) => tag.type).filter(Boolean)));
  }

  /** Words per second of model time so far (0 before the first run). */
  get wordsPerSecond(): number {
    return this.secondsSpent > 0 ? this.wordsDone / this.secondsSpent : 0;
  }

  cached(words: readonly string[], types?: ReadonlySet<string>): SentencePrediction | undefined {
    return this.cacheOf(typesKey(types)).get(this.key(words));
  }

  async predict(sentences: readonly (readonly string[])[], options: PredictOptions = {}): Promise<SentencePrediction[]> {
    const cache = this.cacheOf(typesKey(options.types));
    const results: (SentencePrediction | undefined)[] = sentences.map((words) => (words.length === 0 ? emptyPrediction() : cache.get(this.key(words))));
    const todo = sentences.map((_, i) => i).filter((i) => !results[i]);
    if (todo.length > 0) {
      const started = performance.now();
      const heads = headsFor(this.heads, options.types);
      await this.score(
        todo.map((i) => sentences[i]),
        options,
        heads,
        (k, scores) => {
          const { prediction } = this.decodeScores(scores, heads, options.types);
          results[todo[k]] = prediction;
          remember(cache, this.key(sentences[todo[k]]), prediction);
        },
      );
      this.secondsSpent += (performance.now() - started) / 1000;
      this.wordsDone += todo.reduce((n, i) => n + sentences[i].length, 0);
    }
    return results as SentencePrediction[];
  }

  /**
   * Per sentence, the decoded labels and each decoded head's label probabilities, for every label (`ranked` keeps
   * three per word): the heads and types are those `predict` decodes with the same `types`. Not cached.
   */
  async labelProbabilities(sentences: readonly (readonly string[])[], options: PredictOptions = {}): Promise<SentenceProbabilities[]> {
    const heads = headsFor(this.heads, options.types);
    const results: SentenceProbabilities[] = sentences.map(() => ({ labels: [], heads: heads.map((head) => ({ labels: head.names, marginals: new Float32Array(0) })) }));
    const todo = sentences.map((_, i) => i).filter((i) => sentences[i].length > 0);
    await this.score(
      todo.map((i) => sentences[i]),
      options,
      heads,
      (k, scores) => {
        const { prediction, marginalsByHead } = this.decodeScores(scores, heads, options.types);
        results[todo[k]] = { labels: prediction.labels, heads: marginalsByHead.map((marginals, h) => ({ labels: heads[h].names, marginals })) };
      },
    );
    return results;
  }

  /**
   * Per sentence and word, the label scores at the word's first sub-word (from its most central window), handed to
   * `scored` as soon as the sentence's windows are back, so that the main thread decodes while the workers run the
   * model. Windows are sorted by length first (batches of one length waste least on padding), in chunks of
   * FIRST_SENTENCES, then four times as many each time: the workers run a chunk while the main thread encodes the next
   * (it encodes about six times faster than the workers run).
   */
  private async score(
    sentences: readonly (readonly string[])[],
    options: PredictOptions,
    heads: readonly DecodedHead[],
    scored: (sentence: number, scores: Float32Array[]) => void,
  ): Promise<void> {
    const graphHeadsRead = graphHeads(heads);
    const windows: Window[][] = [];
    // logits[sentence][window][word in window]: the scores at that word's first sub-word.
    const logits: Float32Array[][][] = [];
    const missing: number[] = [];
    let done = 0;
    const runs: Promise<void>[] = [];
    const send = async (from: number, to: number) => {
      const flat: { window: Window; s: number; w: number }[] = [];
      for (let s = from; s < to; s++) {
        // The workers get their next batch from this thread: encoding thousands of sentences in one go left them idle.
        if (s > from && (s - from) % ENCODE_SLICE === 0) await new Promise(setImmediate);
        windows[s] = this.encoder.windows(sentences[s]);
        logits[s] = windows[s].map(() => []);
        missing[s] = windows[s].length;
        windows[s].forEach((window, w) => flat.push({ window, s, w }));
      }
      flat.sort((a, b) => a.window.ids.length - b.window.ids.length);
      for (let at = 0; at < flat.length; ) {
        if (options.isCancelled?.()) throw new Cancelled();
        const longest = flat[Math.min(flat.length - 1, at + MAX_BATCH - 1)].window.ids.length;
        const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_SUBWORDS / longest), flat.length - at));
        const batch = flat.slice(at, at + size);
        at += size;
        const run = this.runBatch(batch.map((b) => b.window), options.isCancelled, graphHeadsRead).then((perWindow) => {
          batch.forEach((b, k) => {
            logits[b.s][b.w] = perWindow[k];
            if (--missing[b.s] > 0) return;
            const best = bestWindowPerWord(windows[b.s], sentences[b.s].length);
            scored(b.s, sentences[b.s].map((_, word) => logits[b.s][best[word]][word - windows[b.s][best[word]].wordStart]));
            done++;
          });
          options.onProgress?.(done, sentences.length);
        });
        // Awaited once every chunk is sent, which yields first: a batch that fails before then is not unhandled.
        run.catch(() => undefined);
        runs.push(run);
      }
    };
    for (let from = 0, size = FIRST_SENTENCES; from < sentences.length; from += size, size *= 4) await send(from, Math.min(sentences.length, from + size));
    await Promise.all(runs);
    if (options.isCancelled?.()) throw new Cancelled();
  }

  /** Runs windows padded to one length; returns per window the score rows of its words' first sub-words. */
  private async runBatch(batch: Window[], isCancelled: (() => boolean) | undefined, heads: readonly number[] | undefined): Promise<Float32Array[][]> {
    const sequence = Math.max(...batch.map((w) => w.ids.length));
    const inputIds = new BigInt64Array(batch.length * sequence);
    const attentionMask = new BigInt64Array(batch.length * sequence);
    // Ids are small non-negative integers: writing the low 32-bit halves avoids a BigInt per token.
    const idWords = new Int32Array(inputIds.buffer);
    const maskWords = new Int32Array(attentionMask.buffer);
    batch.forEach((window, b) => {
      window.ids.forEach((id, t) => {
        idWords[2 * (b * sequence + t) + LOW_WORD] = id;
        maskWords[2 * (b * sequence + t) + LOW_WORD] = 1;
      });
    });
    const reply = await this.graph.run(inputIds, attentionMask, batch.length, sequence, isCancelled, heads);
    const [, , labels] = reply.dims;
    return batch.map((window, b) =>
      window.firstSubword.map((position) => reply.logits.subarray((b * sequence + position) * labels, (b * sequence + position + 1) * labels)),
    );
  }

  /**
   * Decodes each head on its own labels, then keeps the most confident spans that do not overlap: a model trained
   * on several corpora answers each corpus's types, and the answers are merged into one valid sequence. Also returns
   * each head's marginals (the arrays the lazy ranking reads), for labelProbabilities.
   */
  private decodeScores(
    scores: Float32Array[],
    heads: readonly DecodedHead[],
    types: ReadonlySet<string> | undefined,
  ): { prediction: SentencePrediction; marginalsByHead: Float32Array[] } {
    const { labels: labelNames } = this.folder;
    const words = scores.length;
    const spans: PredictedSpan[] = [];
    /** Per head, its label probabilities word after word: kept for the ranking, one small array per head. */
    const marginalsByHead: Float32Array[] = [];
    /** The head of each span. */
    const headOf = new Map<PredictedSpan, number>();
    const chosen = (tag: Tag) => !types || tag.prefix === 'O' || types.has(tag.type);
    let rawLabels: string[] = [];
    // A loop, not a closure: `scores` (views of the whole batch's logits) must stay out of the context that the
    // lazy ranking keeps alive in every cached prediction.
    for (const [h, head] of heads.entries()) {
      const own = ownScores(scores, head);
      const { labels, marginals, width } = this.decoding === 'argmax' ? decodeArgmax(own) : decode(own, head.mask, head.crf);
      rawLabels = labels.map((id) => labelNames[head.labels[id]]);
      for (const chunk of chunkEntities(labels.map((id) => head.tags[id]))) {
        if (types && !types.has(chunk.type)) continue;
        let confidence = 1;
        for (let i = chunk.start; i < chunk.end; i++) confidence = Math.min(confidence, marginals[i * width + labels[i]]);
        const span = { ...chunk, confidence };
        spans.push(span);
        headOf.set(span, h);
      }
      marginalsByHead.push(Float32Array.from(marginals));
    }
    const kept = heads.length === 1 ? spans : keepNonOverlapping(spans);
    // Argmax labels are shown as they are (possibly invalid), to compare with plain pipelines word for word.
    const wordLabels = this.decoding === 'argmax' && heads.length === 1 && !types ? rawLabels : tagsForChunks(kept, words, 'IOB2');
    const prediction = withLazyRanking({ labels: wordLabels, spans: kept }, () => {
      const rankedByHead = marginalsByHead.map((marginals, h) =>
        rows(marginals, heads[h].labels.length).map((row) => topIndices(row, RANKED_LABELS).flatMap((k) => (chosen(heads[h].tags[k]) ? [{ label: labelNames[heads[h].labels[k]], probability: row[k] }] : []))),
      );
      return heads.length === 1 ? rankedByHead[0] : mergedRankings(words, rankedByHead, kept, headOf);
    });
    return { prediction, marginalsByHead };
  }

  /** The words' part of cache keys, for word arrays seen before: callers that reuse arrays for unchanged sentences skip the join. */
  private readonly keys = new WeakMap<readonly string[], string>();

  private key(words: readonly string[]): string {
    let key = this.keys.get(words);
    if (key === undefined) {
      key = words.join('\u241f');
      this.keys.set(words, key);
    }
    return key;
  }

  private cacheOf(selection: string): Map<string, SentencePrediction> {
    let cache = this.caches.get(selection);
    if (!cache) this.caches.set(selection, (cache = new Map()));
    return cache;
  }

  async dispose(): Promise<void> {
    await this.graph.dispose();
  }
}

interface DecodedHead {
  /** Its place in `bioner.heads`; unset for argmax mode's one head over every label. */
  index?: number;
  labels: number[];
  /** The labels' names. */
  names: string[];
  /** [lo, hi) when the head's labels are one run of the label axis (always, in the heads' layout): its scores are a view. */
  range?: [number, number];
  tags: Tag[];
  mask: TransitionMask;
  crf?: Crf;
}

type RankedLabels = SentencePrediction['ranked'];

function rows(values: Float32Array, length: number): Float32Array[] {
  return Array.from({ length: values.length / length }, (_, i) => values.subarray(i * length, (i + 1) * length));
}

/** A head's scores of each word. */
function ownScores(scores: readonly Float32Array[], head: DecodedHead): Float32Array[] {
  const range = head.range;
  return range ? scores.map((row) => row.subarray(range[0], range[1])) : scores.map((row) => Float32Array.from(head.labels, (id) => row[id]));
}

/**
 * The prediction with `ranked` made on first read: only hovers and BIO predictions read it, and ranking every word
 * of every head was a third of the first pass's main-thread time.
 */
function withLazyRanking(prediction: Omit<SentencePrediction, 'ranked'>, rank: () => RankedLabels): SentencePrediction {
  let ranked: RankedLabels | undefined;
  return Object.defineProperty(prediction, 'ranked', { get: () => (ranked ??= rank()), enumerable: true }) as SentencePrediction;
}

/** The prediction with other spans (and their labels); its ranking is read from the original when asked for. */
export function withSpans(prediction: SentencePrediction, spans: PredictedSpan[]): SentencePrediction {
  return withLazyRanking({ labels: tagsForChunks(spans, prediction.labels.length, 'IOB2'), spans }, () => prediction.ranked);
}

function remember(cache: Map<string, SentencePrediction>, key: string, prediction: SentencePrediction): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, prediction);
}

/** The cache of a type selection: the same words under other types are another prediction. */
function typesKey(types: ReadonlySet<string> | undefined): string {
  return types ? [...types].sort().join(',') + '\u241e' : '';
}

function selectHeads(folder: ModelFolder, names: readonly string[] | undefined): readonly Head[] {
  if (!names) return folder.heads.filter((head) => head.byDefault);
  const known = folder.heads.map((head) => head.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new ModelFolderError(folder.dir, [`no head named ${unknown.map((n) => `'${n}'`).join(', ') || '(none given)'}; its heads are ${known.join(', ')}`]);
  }
  return folder.heads.filter((head) => names.includes(head.name));
}

function decodedHead(folder: ModelFolder, head: Head): DecodedHead {
  const names = head.labels.map((id) => folder.labels[id]);
  const contiguous = head.labels.every((id, i) => id === head.labels[0] + i);
  const index = folder.heads.indexOf(head);
  return {
    index: index < 0 ? undefined : index,
    labels: head.labels,
    names,
    range: contiguous ? [head.labels[0], head.labels[0] + head.labels.length] : undefined,
    tags: names.map((l) => (parseTag(l) as { ok: true; tag: Tag }).tag),
    mask: new TransitionMask(names),
    crf: head.crf,
  };
}

/** The heads decoded for a type selection: those predicting at least one chosen type. */
function headsFor(heads: readonly DecodedHead[], types: ReadonlySet<string> | undefined): readonly DecodedHead[] {
  return types ? heads.filter((head) => head.tags.some((tag) => types.has(tag.type))) : heads;
}

/**
 * Each head's label count when the heads lie one after the other on the label axis, as merged and multi-task models
 * lay them out: the graph may then be cut to the heads a run reads. Unset for one head or another layout.
 */
function tiledHeadWidths(folder: ModelFolder): number[] | undefined {
  let next = 0;
  const tiled = folder.heads.every((head) => head.labels.every((id) => id === next++));
  return folder.heads.length > 1 && tiled && next === folder.labels.length ? folder.heads.map((head) => head.labels.length) : undefined;
}

/** The heads a graph run computes for these decoded heads (their `bioner.heads` indices), or every head. */
function graphHeads(heads: readonly DecodedHead[]): number[] | undefined {
  return heads.every((head) => head.index !== undefined) ? heads.map((head) => head.index!) : undefined;
}

function emptyPrediction(): SentencePrediction {
  return { labels: [], spans: [], ranked: [] };
}

/** The most confident spans that do not overlap each other, in sentence order. */
function keepNonOverlapping(spans: PredictedSpan[]): PredictedSpan[] {
  const kept: PredictedSpan[] = [];
  for (const span of [...spans].sort((a, b) => b.confidence - a.confidence)) {
    if (!kept.some((k) => k.start < span.end && span.start < k.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Per word of a multi-head prediction, the labels to show, each word's from one head so that they read as one
 * distribution: inside a kept span, the head that found it (another head's O at 99.9% beside "B-Species 99.8%"
 * contradicts the shown entity); elsewhere, the head least sure the word is outside an entity (the heads' rows
 * mixed read "O 98.9%, B-Chemical 30.2%", and every head must say O for the word to be outside).
 */
function mergedRankings(
  words: number,
  rankedByHead: readonly { label: string; probability: number }[][][],
  kept: readonly PredictedSpan[],
  headOf: ReadonlyMap<PredictedSpan, number>,
): { label: string; probability: number }[][] {
  // No head decodes a chosen type: nothing is ranked.
  if (rankedByHead.length === 0) return Array.from({ length: words }, () => []);
  // O missing from a head's top labels is less probable than each of them.
  const outside = (labels: { label: string; probability: number }[]) => labels.find((r) => r.label === 'O')?.probability ?? 0;
  const ranked = Array.from({ length: words }, (_, word) =>
    rankedByHead.map((head) => head[word]).reduce((leastSure, labels) => (outside(labels) < outside(leastSure) ? labels : leastSure)),
  );
  for (const span of kept) for (let word = span.start; word < span.end; word++) ranked[word] = rankedByHead[headOf.get(span)!][word];
  return ranked;
}

/** Indices of the `k` largest values, largest first. */
function topIndices(row: Float32Array | Float64Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < row.length; i++) {
    let at = top.length;
    while (at > 0 && row[top[at - 1]] < row[i]) at--;
    if (at < k) {
      top.splice(at, 0, i);
      if (top.length > k) top.pop();
    }
  }
  return top;
}
