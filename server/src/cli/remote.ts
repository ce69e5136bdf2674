/**
 * `--endpoint URL [--model-name N] [--protocol rest|grpc] [--tensors binary|json] [--concurrency K] [--max-batch N]
 * [--timeout S]`: the model's graph run by an inference server.
 */
import type { Graph } from '../core/ner/graph';
import type { ModelFolder } from '../core/ner/modelFolder';
import { SETTINGS } from '@common/settings';
import { RemoteGraph, type InferenceServer } from '../core/ner/remoteGraph';
import { choice, positiveInteger, UsageError } from './args';

export const REMOTE_OPTIONS = ['endpoint', 'model-name', 'protocol', 'tensors', 'concurrency', 'max-batch', 'timeout'];
const TENSORS = { enum: ['binary', 'json'], default: 'binary' } as const;
/** The Authorization header sent to the server: from the environment only, so that no secret sits in a file or a command line. */
export const AUTH_VARIABLE = 'BIONER_INFERENCE_AUTH';

/** The RemoteGraph the options ask for (undefined without --endpoint), and a way to read its figures afterwards. */
export function remoteGraphFromArgs(values: Record<string, string | undefined>): { connect: (folder: ModelFolder) => Promise<Graph>; graph: () => RemoteGraph | undefined } | undefined {
  const endpoint = values.endpoint;
  if (endpoint === undefined) {
    const stray = REMOTE_OPTIONS.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --endpoint URL`);
    return undefined;
  }
  if (!/^https?:\/\/[^/]/.test(endpoint) || !URL.canParse(endpoint)) throw new UsageError(`--endpoint: '${endpoint}' is not an http(s) URL`);
  const protocol = choice(values, 'protocol', SETTINGS['inference.protocol']);
  if (protocol === 'grpc' && values.tensors !== undefined) throw new UsageError('--tensors is for --protocol rest; gRPC sends raw tensors');
  const server: InferenceServer = {
    endpoint,
    protocol,
    jsonTensors: choice(values, 'tensors', TENSORS) === 'json',
    timeoutMs: positiveInteger(values, 'timeout', 60) * 1000,
    modelName: values['model-name'],
    concurrency: positiveInteger(values, 'concurrency', 4),
    maxBatch: positiveInteger(values, 'max-batch', 64),
    authorization: process.env[AUTH_VARIABLE] || undefined,
  };
  let graph: RemoteGraph | undefined;
  return {
    connect: async (folder) => (graph = await RemoteGraph.forFolder(folder, server)),
    graph: () => graph,
  };
}

/** One line on stderr: the remote run's words/s and requests. */
export function reportRemote(graph: RemoteGraph, wordsPerSecond: number): void {
  const { requests, retries } = graph.stats;
  process.stderr.write(`bioner: remote inference at ${graph.ready.device}: ${Math.round(wordsPerSecond)} words/s, ${requests} requests, ${retries} retries, ${graph.transportDescription}\n`);
}
