/**
 * The reference side of engine comparisons: transformers.js's pipeline('token-classification') on a model folder,
 * offline. Each word gets the pipeline's label at its first sub-word, the position the engine scores it at, so
 * the engine's argmax labels can be compared with it word for word (bench/side.ts, test/unit/hfModels.test.ts).
 */
import * as path from 'node:path';
import { loadModelFolder } from '../../server/src/core/ner/modelFolder';
import { SubwordEncoder } from '../../server/src/core/ner/subwords';

export interface PeerOptions {
  /** Intra-op threads of the pipeline's session (default 1). */
  threads?: number;
  /** Sentences per pipeline call after the first one, which runs alone (default 32). */
  batch?: number;
  /** Also return transformers.js's own token ids of each sentence (untimed). */
  ids?: boolean;
  /**
   * Label the first sub-words that the pipeline leaves out of its answer because they decode to nothing (a bare
   * `▁` of SentencePiece before punctuation, for example): the same tokenizer and model are run without the
   * pipeline, and the label is the argmax at that position, as the pipeline computes it (untimed; default true).
   */
  fillDropped?: boolean;
}

export interface PeerRun {
  /**
   * Per sentence and word, the pipeline's label at the word's first sub-word; null where the sentence needs more
   * than one of the engine's windows (the pipeline truncates), or, with `fillDropped: false`, where the pipeline
   * reports nothing at that position (it leaves out tokens that decode to nothing).
   */
  labels: (string | null)[][];
  /** How many labels `fillDropped` filled in. */
  filled: number;
  /** Per sentence, the ids transformers.js's tokenizer gives the joined words (with `ids: true`). */
  ids?: number[][];
  /** Per sentence, the engine's sub-word ids when the sentence fits in one window, else null. */
  engineIds: (number[] | null)[];
  /** From the call to the first sentence's labels: importing transformers.js, loading the model, one sentence. */
  firstResultMs: number;
  /** Time for all sentences but the first. */
  seconds: number;
}

interface RawToken {
  entity: string;
  index: number;
}

/** transformers.js pipeline('token-classification') on `modelDir`, offline, batched like the engine. */
export async function peerWordLabels(modelDir: string, sentences: readonly (readonly string[])[], options: PeerOptions = {}): Promise<PeerRun> {
  const threads = options.threads ?? 1;
  const batchSize = options.batch ?? 32;
  const started = performance.now();
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(path.resolve(modelDir)) + path.sep;
  const classify = await pipeline('token-classification', path.basename(path.resolve(modelDir)), {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  } as never);
  const encoder = new SubwordEncoder(loadModelFolder(modelDir));
  const single = sentences.map((words) => {
    const windows = encoder.windows(words);
    return windows.length === 1 ? windows[0] : null;
  });
  const engineIds = single.map((window) => window?.ids ?? null);
  const toLabels = (s: number, output: RawToken[]): (string | null)[] => {
    const positions = single[s]?.firstSubword;
    if (!positions) return sentences[s].map(() => null);
    const byIndex = new Map(output.map((o) => [o.index, o.entity]));
    return positions.map((position) => byIndex.get(position) ?? null);
  };
  const run = async (batch: readonly (readonly string[])[]): Promise<RawToken[][]> => {
    const outputs = (await classify(
      batch.map((words) => words.join(' ')),
      { ignore_labels: [] } as never,
    )) as unknown as RawToken[][] | RawToken[];
    // A batch of one may come back unnested.
    return batch.length === 1 && !Array.isArray(outputs[0]) ? [outputs as RawToken[]] : (outputs as RawToken[][]);
  };

  const labels: (string | null)[][] = [];
  let firstResultMs = 0;
  let seconds = 0;
  try {
    if (sentences.length > 0) {
      const [first] = await run([sentences[0]]);
      firstResultMs = performance.now() - started;
      labels.push(toLabels(0, first));
    }
    const t0 = performance.now();
    for (let i = 1; i < sentences.length; i += batchSize) {
      const outputs = await run(sentences.slice(i, i + batchSize));
      outputs.forEach((output, k) => labels.push(toLabels(i + k, output)));
    }
    seconds = (performance.now() - t0) / 1000;
    let filled = 0;
    if (options.fillDropped ?? true) {
      const dropped = labels.map((row, s) => (single[s] && row.includes(null) ? s : -1)).filter((s) => s >= 0);
      for (let i = 0; i < dropped.length; i += batchSize) {
        const part = dropped.slice(i, i + batchSize);
        const rows = await argmaxLabels(classify, part.map((s) => sentences[s].join(' ')));
        part.forEach((s, k) =>
          single[s]!.firstSubword.forEach((position, word) => {
            if (labels[s][word] === null) {
              labels[s][word] = rows[k][position] ?? null;
              filled += 1;
            }
          }),
        );
      }
    }
    const ids = options.ids
      ? sentences.map((words) => {
          const encoded = classify.tokenizer(words.join(' '), { truncation: true } as never) as unknown as { input_ids: { tolist(): (number | bigint)[][] } };
          return encoded.input_ids.tolist()[0].map(Number);
        })
      : undefined;
    return { labels, filled, ids, engineIds, firstResultMs, seconds };
  } finally {
    await classify.dispose();
  }
}

interface LogitsTensor {
  dims: number[];
  data: Float32Array;
}

/** What the pipeline computes before it filters: per text and position, id2label[argmax logits]. */
async function argmaxLabels(classify: unknown, texts: string[]): Promise<string[][]> {
  const { tokenizer, model } = classify as {
    tokenizer: (texts: string[], options: object) => object;
    model: ((inputs: object) => Promise<{ logits: LogitsTensor }>) & { config: { id2label: Record<number, string> } };
  };
  const { logits } = await model(tokenizer(texts, { padding: true, truncation: true }));
  const [batch, sequence, size] = logits.dims;
  const rows: string[][] = [];
  for (let b = 0; b < batch; b++) {
    const row: string[] = [];
    for (let t = 0; t < sequence; t++) {
      const scores = logits.data.subarray((b * sequence + t) * size, (b * sequence + t + 1) * size);
      let best = 0;
      for (let k = 1; k < size; k++) if (scores[k] > scores[best]) best = k;
      row.push(model.config.id2label[best]);
    }
    rows.push(row);
  }
  return rows;
}
