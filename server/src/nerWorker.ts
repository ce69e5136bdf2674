/**
 * Inference worker thread: owns the onnxruntime sessions and runs the batches it is sent. A multi-head graph gets one
 * session per set of heads that batches read, cut to those heads (graphPruning.ts), the least recently used dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { pruneToHeads } from './core/ner/graphPruning';
import { Gate, type InitReply, type InitRequest, type WorkerReply, type WorkerRequest } from './core/ner/workerProtocol';

/** Sessions by the heads they compute (WHOLE for the whole graph), least recently used first. */
const sessions = new Map<string, ort.InferenceSession>();
/** The editor needs about three: the types of prose, those of a BIO file, every head (a corpus check). */
const MAX_SESSIONS = 3;
const WHOLE = 'whole';
let onnxPath = '';
/** Label count per head while the graph can be cut; unset for one head, or once a cut was found impossible. */
let headWidths: readonly number[] | undefined;
let sessionOptions: ort.InferenceSession.SessionOptions;
let gate: Int32Array | undefined;
// Failures come back as exceptions (a missing GPU provider as fallbackReason): the native log would only repeat them.
ort.env.logLevel = 'fatal';

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

async function start(request: InitRequest): Promise<InitReply> {
  ({ onnxPath, headWidths } = request);
  const key = keyOf(request.heads);
  const graph = graphOf(key);
  const options = (provider: string): ort.InferenceSession.SessionOptions => ({
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: request.threads,
    interOpNumThreads: 1,
  });
  const device = request.device;
  const wanted: ('cuda' | 'webgpu')[] = device === 'cuda' || device === 'webgpu' ? [device] : device === 'auto' && hasNvidiaGpu() ? ['cuda'] : [];
  let fallbackReason: string | undefined;
  for (const provider of wanted) {
    try {
      return describe(provider, await open(key, graph, options(provider)));
    } catch (error) {
      fallbackReason = `${provider} unavailable: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return { ...describe('cpu', await open(key, graph, options('cpu'))), fallbackReason: device === 'auto' ? undefined : fallbackReason };
}

/** The session computing `heads`, made (and the least recently used dropped) when none does yet. */
async function sessionFor(heads: readonly number[] | undefined): Promise<ort.InferenceSession> {
  const key = keyOf(heads);
  const session = sessions.get(key);
  if (!session) return open(key, graphOf(key), sessionOptions);
  sessions.delete(key);
  sessions.set(key, session);
  return session;
}

async function open(key: string, graph: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const session = await guarded(() => (typeof graph === 'string' ? ort.InferenceSession.create(graph, options) : ort.InferenceSession.create(graph, options)));
  sessionOptions = options;
  sessions.set(key, session);
  for (const [old, unused] of sessions) {
    if (sessions.size <= MAX_SESSIONS) break;
    sessions.delete(old);
    await guarded(() => unused.release());
  }
  return session;
}

/** The sorted head indices, or WHOLE for every head or a graph that cannot be cut. */
function keyOf(heads: readonly number[] | undefined): string {
  if (!heads || !headWidths) return WHOLE;
  const keep = [...new Set(heads)].sort((a, b) => a - b);
  return keep.length >= headWidths.length ? WHOLE : keep.join(',');
}

/** The model file, or the graph cut to the key's heads; a graph that cannot be cut is run whole from then on. */
function graphOf(key: string): string | Uint8Array {
  if (key === WHOLE || !headWidths) return onnxPath;
  let cut: Uint8Array | undefined;
  try {
    cut = pruneToHeads(readFileSync(onnxPath), headWidths, key === '' ? [] : key.split(',').map(Number));
  } catch {
    // A file protobuf cannot read: onnxruntime says what is wrong with it.
  }
  if (!cut) headWidths = undefined;
  return cut ?? onnxPath;
}

function hasNvidiaGpu(): boolean {
  return existsSync('/dev/nvidia0');
}

function describe(device: 'cpu' | 'cuda' | 'webgpu', session: ort.InferenceSession): InitReply {
  return { kind: 'ready', device, inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
}

/** Runs one native call unless the pool is closing; counted so that the process never exits in the middle of it. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  Atomics.add(gate!, Gate.RUNNING, 1);
  try {
    // Checked after counting in: the pool sets CLOSING first and then waits for RUNNING, so one of us sees the other.
    if (Atomics.load(gate!, Gate.CLOSING) !== 0) throw new Error('the inference pool is closing');
    return await call();
  } finally {
    Atomics.sub(gate!, Gate.RUNNING, 1);
    Atomics.notify(gate!, Gate.RUNNING);
  }
}

parentPort!.on('message', async (request: WorkerRequest) => {
  try {
    if (request.kind === 'init') {
      gate = new Int32Array(request.gate);
      reply(await start(request));
      return;
    }
    const session = await sessionFor(request.heads);
    const dims = [request.batch, request.sequence];
    // Feed only what the graph declares: exporters drop unused inputs, BERT-likes add token_type_ids.
    const available: Record<string, () => BigInt64Array> = {
      input_ids: () => request.inputIds,
      attention_mask: () => request.attentionMask,
      token_type_ids: () => new BigInt64Array(request.inputIds.length),
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if (!available[name]) throw new Error(`the model needs an input '${name}' this engine does not provide (it provides ${Object.keys(available).join(', ')})`);
      feeds[name] = new ort.Tensor('int64', available[name](), dims);
    }
    const output = await guarded(() => session.run(feeds));
    const logits = output.logits ?? output[session.outputNames[0]];
    const data = logits.data as Float32Array;
    reply({ kind: 'result', id: request.id, logits: data, dims: [...logits.dims] }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    reply({ kind: 'error', id: request.kind === 'run' ? request.id : undefined, message: (error as Error).message });
  }
});
