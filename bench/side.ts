/**
 * One side of the throughput benchmark, run in its own process so that its peak memory is its own:
 *   side.ts engine|peer MODEL_DIR SENTENCES_JSON OUT_JSON THREADS
 * Writes {tokensPerSecond, seconds, firstResultMs, maxRssMB, labels (per sentence, per word; null where the
 * side could not label the word)}.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../server/src/core/ner/engine';
import { loadModelFolder } from '../server/src/core/ner/modelFolder';
import { SubwordEncoder } from '../server/src/core/ner/subwords';

const [side, modelDir, sentencesFile, outFile, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 1);
const sentences: string[][] = JSON.parse(readFileSync(sentencesFile, 'utf8'));
const tokens = sentences.reduce((n, s) => n + s.length, 0);
const WORKER = path.resolve(__dirname, '..', 'dist', 'nerWorker.js');

interface Result {
  tokensPerSecond: number;
  seconds: number;
  firstResultMs: number;
  labels: (string | null)[][];
  extra?: Record<string, number>;
}

async function runEngine(decoding: 'constrained' | 'argmax'): Promise<Result> {
  const started = performance.now();
  const engine = await NerEngine.load(modelDir, { threads, workerScript: WORKER, decoding });
  await engine.predict([sentences[0]]);
  const firstResultMs = performance.now() - started;
  const t0 = performance.now();
  const predictions = await engine.predict(sentences.slice(1));
  const seconds = (performance.now() - t0) / 1000;
  await engine.dispose();
  const labels = [await firstLabels(sentences[0], decoding), ...predictions.map((p) => p.labels)];
  return { tokensPerSecond: (tokens - sentences[0].length) / seconds, seconds, firstResultMs, labels };
}

/** The first sentence's labels, predicted again in the same mode (its timing run was the cold start). */
async function firstLabels(words: string[], decoding: 'constrained' | 'argmax'): Promise<string[]> {
  const engine = await NerEngine.load(modelDir, { threads, workerScript: WORKER, decoding });
  const [prediction] = await engine.predict([words]);
  await engine.dispose();
  return prediction.labels;
}

/** transformers.js pipeline('token-classification') on the same folder, offline, batched like the engine. */
async function runPeer(): Promise<Result> {
  const started = performance.now();
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(path.resolve(modelDir)) + path.sep;
  const classify = await pipeline('token-classification', path.basename(path.resolve(modelDir)), {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  } as never);
  const folder = loadModelFolder(modelDir);
  const encoder = new SubwordEncoder(folder);
  const toLabels = (words: string[], output: { entity: string; index: number }[]): (string | null)[] => {
    const windows = encoder.windows(words);
    if (windows.length > 1) return words.map(() => null);
    const byIndex = new Map(output.map((o) => [o.index, o.entity]));
    return windows[0].firstSubword.map((position) => byIndex.get(position) ?? null);
  };
  const first = (await classify(sentences[0].join(' '), { ignore_labels: [] } as never)) as never;
  const firstResultMs = performance.now() - started;
  const labels: (string | null)[][] = [toLabels(sentences[0], first)];
  const t0 = performance.now();
  const BATCH = 32;
  for (let i = 1; i < sentences.length; i += BATCH) {
    const batch = sentences.slice(i, i + BATCH);
    const outputs = (await classify(batch.map((s) => s.join(' ')), { ignore_labels: [] } as never)) as unknown as { entity: string; index: number }[][];
    batch.forEach((words, k) => labels.push(toLabels(words, batch.length === 1 ? (outputs as never) : outputs[k])));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { tokensPerSecond: (tokens - sentences[0].length) / seconds, seconds, firstResultMs, labels };
}

async function main(): Promise<void> {
  let result: Result & { argmax?: Result };
  if (side === 'engine') result = { ...(await runEngine('constrained')), argmax: await runEngine('argmax') };
  else if (side === 'peer') result = await runPeer();
  else throw new Error(`unknown side ${side}`);
  writeFileSync(outFile, JSON.stringify({ ...result, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
