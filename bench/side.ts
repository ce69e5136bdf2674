/**
 * One side of the throughput benchmark, run in its own process so that its peak memory is its own:
 *   side.ts engine|peer MODEL_DIR SENTENCES_JSON OUT_JSON THREADS [TYPES_JSON]
 * Writes {tokensPerSecond, seconds, firstResultMs, maxRssMB, labels (per sentence, per word; null where the
 * side could not label the word)}. With TYPES_JSON (the gold file's entity types), the engine predicts only those
 * types, as the editor and `bioner eval` do for a gold file: a multi-corpus model's Species on BC5CDR are no errors.
 * The engine side also runs with every type of the default output (`everyType`), in argmax mode (`argmax`) and, when
 * the folder has onnx/model_quantized.onnx, on the data's types with that int8 graph (`int8`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../server/src/core/ner/engine';
import { loadModelFolder } from '../server/src/core/ner/modelFolder';
import { NEIGHBOUR_WINDOW, withAbbreviationTypes } from '../server/src/core/ner/abbreviationTypes';
import { comparedTypes } from '../server/src/core/ner/entityTypes';
import { peerWordLabels } from '../test/support/peer';

const [side, modelDir, sentencesFile, outFile, threadsArg, typesArg] = process.argv.slice(2);
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

async function runEngine(decoding: 'constrained' | 'argmax', goldTypes?: string[], preferQuantized = false): Promise<Result> {
  const started = performance.now();
  const engine = await NerEngine.load(modelDir, { threads, workerScript: WORKER, decoding, preferQuantized });
  const types = goldTypes && comparedTypes(goldTypes, engine.entityTypes);
  const [first] = await engine.predict([sentences[0]], { types });
  const firstResultMs = performance.now() - started;
  const t0 = performance.now();
  const predictions = [first, ...(await engine.predict(sentences.slice(1), { types }))];
  // The gold path ends as `bioner eval` ends it, with the abbreviation types (the sentences carry no -DOCSTART-
  // marks, so a definition reaches its neighbours); argmax labels are compared word for word, as they are.
  const shown = decoding === 'constrained' ? withAbbreviationTypes(sentences, predictions, { window: NEIGHBOUR_WINDOW }) : predictions;
  const seconds = (performance.now() - t0) / 1000;
  await engine.dispose();
  const labels = shown.map((p) => p.labels);
  return { tokensPerSecond: (tokens - sentences[0].length) / seconds, seconds, firstResultMs, labels };
}

/** transformers.js pipeline('token-classification') on the same folder, offline, batched like the engine (test/support/peer.ts). */
async function runPeer(): Promise<Result> {
  const run = await peerWordLabels(modelDir, sentences, { threads, batch: 32 });
  return { tokensPerSecond: (tokens - sentences[0].length) / run.seconds, seconds: run.seconds, firstResultMs: run.firstResultMs, labels: run.labels };
}

async function main(): Promise<void> {
  let result: Result & { everyType?: Result; argmax?: Result; int8?: Result };
  if (side === 'engine') {
    const goldTypes = typesArg && JSON.parse(typesArg);
    const int8 = loadModelFolder(modelDir, { preferQuantized: true }).quantized ? await runEngine('constrained', goldTypes, true) : undefined;
    result = { ...(await runEngine('constrained', goldTypes)), everyType: await runEngine('constrained'), argmax: await runEngine('argmax'), int8 };
  }
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
