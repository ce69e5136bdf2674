/**
 * One side of the throughput benchmark, run in its own process so that its peak memory is its own:
 *   side.ts engine|peer MODEL_DIR SENTENCES_JSON OUT_JSON THREADS
 * Writes {tokensPerSecond, seconds, firstResultMs, maxRssMB, labels (per sentence, per word; null where the
 * side could not label the word)}.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../server/src/core/ner/engine';
import { peerWordLabels } from '../test/support/peer';

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
  const [first] = await engine.predict([sentences[0]]);
  const firstResultMs = performance.now() - started;
  const t0 = performance.now();
  const predictions = await engine.predict(sentences.slice(1));
  const seconds = (performance.now() - t0) / 1000;
  await engine.dispose();
  const labels = [first.labels, ...predictions.map((p) => p.labels)];
  return { tokensPerSecond: (tokens - sentences[0].length) / seconds, seconds, firstResultMs, labels };
}

/** transformers.js pipeline('token-classification') on the same folder, offline, batched like the engine (test/support/peer.ts). */
async function runPeer(): Promise<Result> {
  const run = await peerWordLabels(modelDir, sentences, { threads, batch: 32 });
  return { tokensPerSecond: (tokens - sentences[0].length) / run.seconds, seconds: run.seconds, firstResultMs: run.firstResultMs, labels: run.labels };
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
