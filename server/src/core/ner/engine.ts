/**
 * The NER engine: sentences of words in, valid tag sequences with confidences out. Sub-word windows are batched
 * by length and run in worker threads; results are cached per sentence, keyed by model and words.
 */
import { chunkEntities } from '../conll/sequence';
import { parseTag, type Tag } from '../conll/tags';
import { loadModelFolder, type ModelFolder } from './modelFolder';
import { bestWindowPerWord, SubwordEncoder, type Window } from './subwords';
import { decode, decodeArgmax, TransitionMask } from './viterbi';
import { WorkerPool } from './workerPool';
import type { Device } from './workerProtocol';

export interface PredictedSpan {
  /** Word indices, end exclusive. */
  start: number;
  end: number;
  type: string;
  /** Probability that every word of the span has its predicted label (the lowest word marginal). */
  confidence: number;
}

export interface SentencePrediction {
  labels: string[];
  spans: PredictedSpan[];
  /** Per word, the most probable labels by their marginal probability. */
  ranked: { label: string; probability: number }[][];
}

export interface EngineOptions {
  device?: Device;
  threads?: number;
  workers?: number;
  preferQuantized?: boolean;
  workerScript?: string;
  /** `argmax` skips the constrained decoding: only for comparing with plain pipelines. */
  decoding?: 'constrained' | 'argmax';
}

export interface PredictOptions {
  isCancelled?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Sub-word positions per batch: bounds memory and keeps batches of similar lengths. */
const BATCH_SUBWORDS = 8192;
const MAX_BATCH = 64;
const CACHE_LIMIT = 50_000;
const RANKED_LABELS = 3;

export class NerEngine {
  private readonly cache = new Map<string, SentencePrediction>();
  private readonly tags: Tag[];
  private readonly mask: TransitionMask;
  /** Words and seconds of model time, for the tokens/s figure. */
  private wordsDone = 0;
  private secondsSpent = 0;

  private constructor(
    readonly folder: ModelFolder,
    private readonly encoder: SubwordEncoder,
    private readonly pool: WorkerPool,
    private readonly decoding: 'constrained' | 'argmax',
  ) {
    this.tags = folder.labels.map((l) => (parseTag(l) as { ok: true; tag: Tag }).tag);
    this.mask = new TransitionMask(folder.labels);
  }

  static async load(dir: string, options: EngineOptions = {}): Promise<NerEngine> {
    const folder = loadModelFolder(dir, { preferQuantized: options.preferQuantized });
    const encoder = new SubwordEncoder(folder);
    const pool = await WorkerPool.start({
      onnxPath: folder.onnxPath,
      device: options.device ?? 'auto',
      threads: options.threads ?? 1,
      workers: options.workers ?? 1,
      workerScript: options.workerScript,
    });
    return new NerEngine(folder, encoder, pool, options.decoding ?? 'constrained');
  }

  get device(): string {
    return this.pool.ready.device;
  }

  get fallbackReason(): string | undefined {
    return this.pool.ready.fallbackReason;
  }

  /** Words per second of model time so far (0 before the first run). */
  get wordsPerSecond(): number {
    return this.secondsSpent > 0 ? this.wordsDone / this.secondsSpent : 0;
  }

  cached(words: readonly string[]): SentencePrediction | undefined {
    return this.cache.get(this.key(words));
  }

  async predict(sentences: readonly (readonly string[])[], options: PredictOptions = {}): Promise<SentencePrediction[]> {
    const results: (SentencePrediction | undefined)[] = sentences.map((words) => (words.length === 0 ? emptyPrediction() : this.cache.get(this.key(words))));
    const todo = sentences.map((_, i) => i).filter((i) => !results[i]);
    if (todo.length > 0) {
      const started = performance.now();
      const scores = await this.score(todo.map((i) => sentences[i]), options);
      todo.forEach((sentence, k) => {
        const prediction = this.decodeScores(scores[k]);
        results[sentence] = prediction;
        this.remember(sentences[sentence], prediction);
      });
      this.secondsSpent += (performance.now() - started) / 1000;
      this.wordsDone += todo.reduce((n, i) => n + sentences[i].length, 0);
    }
    return results as SentencePrediction[];
  }

  /** Per sentence and word, the label scores at the word's first sub-word (from its most central window). */
  private async score(sentences: readonly (readonly string[])[], options: PredictOptions): Promise<Float32Array[][]> {
    const windows = sentences.map((words) => this.encoder.windows(words));
    const flat = windows.flatMap((ws, s) => ws.map((window, w) => ({ window, s, w })));
    flat.sort((a, b) => a.window.ids.length - b.window.ids.length);
    // logits[sentence][window][word in window]: the scores at that word's first sub-word.
    const logits: Float32Array[][][] = windows.map((ws) => ws.map(() => []));
    let done = 0;
    const runs: Promise<void>[] = [];
    for (let from = 0; from < flat.length; ) {
      if (options.isCancelled?.()) throw new Cancelled();
      const longest = flat[Math.min(flat.length - 1, from + MAX_BATCH - 1)].window.ids.length;
      const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_SUBWORDS / longest), flat.length - from));
      const batch = flat.slice(from, from + size);
      from += size;
      runs.push(
        this.runBatch(batch.map((b) => b.window)).then((perWindow) => {
          batch.forEach((b, k) => (logits[b.s][b.w] = perWindow[k]));
          done += batch.length;
          options.onProgress?.(done, flat.length);
        }),
      );
    }
    await Promise.all(runs);
    if (options.isCancelled?.()) throw new Cancelled();
    return sentences.map((words, s) => {
      const best = bestWindowPerWord(windows[s], words.length);
      return words.map((_, word) => logits[s][best[word]][word - windows[s][best[word]].wordStart]);
    });
  }

  /** Runs windows padded to one length; returns per window the score rows of its words' first sub-words. */
  private async runBatch(batch: Window[]): Promise<Float32Array[][]> {
    const sequence = Math.max(...batch.map((w) => w.ids.length));
    const inputIds = new BigInt64Array(batch.length * sequence);
    const attentionMask = new BigInt64Array(batch.length * sequence);
    batch.forEach((window, b) => {
      window.ids.forEach((id, t) => {
        inputIds[b * sequence + t] = BigInt(id);
        attentionMask[b * sequence + t] = 1n;
      });
    });
    const reply = await this.pool.run(inputIds, attentionMask, batch.length, sequence);
    const [, , labels] = reply.dims;
    return batch.map((window, b) =>
      window.firstSubword.map((position) => reply.logits.subarray((b * sequence + position) * labels, (b * sequence + position + 1) * labels)),
    );
  }

  private decodeScores(scores: Float32Array[]): SentencePrediction {
    const { labels, marginals } = this.decoding === 'argmax' ? decodeArgmax(scores) : decode(scores, this.mask, this.folder.crf);
    const names = labels.map((id) => this.folder.labels[id]);
    const spans = chunkEntities(labels.map((id) => this.tags[id])).map((chunk) => {
      let confidence = 1;
      for (let i = chunk.start; i < chunk.end; i++) confidence = Math.min(confidence, marginals[i][labels[i]]);
      return { ...chunk, confidence };
    });
    const ranked = marginals.map((row) =>
      Array.from(row, (probability, id) => ({ label: this.folder.labels[id], probability }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, RANKED_LABELS),
    );
    return { labels: names, spans, ranked };
  }

  private key(words: readonly string[]): string {
    return words.join('\u241f');
  }

  private remember(words: readonly string[], prediction: SentencePrediction): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(this.key(words), prediction);
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
  }
}

function emptyPrediction(): SentencePrediction {
  return { labels: [], spans: [], ranked: [] };
}
