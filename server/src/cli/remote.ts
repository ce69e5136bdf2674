/** `--endpoint URL [--model-name N] [--concurrency K] [--max-batch N]`: the model's graph run by an inference server. */
import * as path from 'node:path';
import type { Graph } from '../core/ner/graph';
import type { ModelFolder } from '../core/ner/modelFolder';
import { RemoteGraph } from '../core/ner/remoteGraph';
import { readGraphSignature } from '../core/serving/graphSignature';
import { defaultServingName } from '../core/serving/servingName';
import { positiveInteger, UsageError } from './args';

export const REMOTE_OPTIONS = ['endpoint', 'model-name', 'concurrency', 'max-batch'];
/** The Authorization header sent to the server: from the environment only, so that no secret sits in a file or a command line. */
export const AUTH_VARIABLE = 'BIONER_INFERENCE_AUTH';

/** The RemoteGraph the options ask for (undefined without --endpoint), and a way to read its figures afterwards. */
export function remoteGraphFromArgs(values: Record<string, string | undefined>, modelDir: string): { connect: (folder: ModelFolder) => Promise<Graph>; graph: () => RemoteGraph | undefined } | undefined {
  const endpoint = values.endpoint;
  if (endpoint === undefined) {
    const stray = REMOTE_OPTIONS.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --endpoint URL`);
    return undefined;
  }
  if (!/^https?:\/\/[^/]/.test(endpoint) || !URL.canParse(endpoint)) throw new UsageError(`--endpoint: '${endpoint}' is not an http(s) URL`);
  const options = {
    endpoint,
    modelName: values['model-name'] ?? defaultServingName(path.basename(path.resolve(modelDir))),
    concurrency: positiveInteger(values, 'concurrency', 4),
    maxBatch: positiveInteger(values, 'max-batch', 64),
    authorization: process.env[AUTH_VARIABLE] || undefined,
  };
  let graph: RemoteGraph | undefined;
  return {
    connect: async (folder) => (graph = await RemoteGraph.connect({ ...options, inputNames: (await readGraphSignature(folder.onnxPath)).inputs.map((input) => input.name) })),
    graph: () => graph,
  };
}

/** One line on stderr: the remote run's words/s and requests. */
export function reportRemote(graph: RemoteGraph, wordsPerSecond: number): void {
  const { requests, retries, binary } = graph.stats;
  process.stderr.write(`bioner: remote inference at ${graph.ready.device}: ${Math.round(wordsPerSecond)} words/s, ${requests} requests, ${retries} retries, ${binary ? 'binary' : 'JSON'} tensors\n`);
}
