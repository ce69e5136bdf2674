/**
 * Inference worker thread: owns the onnxruntime sessions and runs the batches it is sent, each on the graph file it
 * names (the model, or the model cut to the heads the batch is read for: graphPruning.ts).
 */
import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { Gate, type InitReply, type InitRequest, type WorkerReply, type WorkerRequest } from './core/ner/workerProtocol';

/** Sessions by graph file, least recently used first. */
const sessions = new Map<string, ort.InferenceSession>();
/** The editor needs about three: the types of prose, those of a BIO file, every head (a corpus review). */
const MAX_SESSIONS = 3;
let sessionOptions: ort.InferenceSession.SessionOptions;
let gate: Int32Array | undefined;
// Failures come back as exceptions (a missing GPU provider as fallbackReason): the native log would only repeat them.
ort.env.logLevel = 'fatal';

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

async function start(request: InitRequest): Promise<InitReply> {
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
      return describe(provider, await open(request.onnxPath, options(provider)));
    } catch (error) {
      fallbackReason = `${provider} unavailable: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return { ...describe('cpu', await open(request.onnxPath, options('cpu'))), fallbackReason: device === 'auto' ? undefined : fallbackReason };
}

/** The session of a graph file, opened (and the least recently used closed) when there is none yet. */
async function sessionFor(onnxPath: string): Promise<ort.InferenceSession> {
  const session = sessions.get(onnxPath);
  if (!session) return open(onnxPath, sessionOptions);
  sessions.delete(onnxPath);
  sessions.set(onnxPath, session);
  return session;
}

async function open(onnxPath: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const session = await guarded(() => ort.InferenceSession.create(onnxPath, options));
  sessionOptions = options;
  sessions.set(onnxPath, session);
  for (const [path, unused] of sessions) {
    if (sessions.size <= MAX_SESSIONS) break;
    sessions.delete(path);
    await guarded(() => unused.release());
  }
  return session;
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
    const session = await sessionFor(request.onnxPath);
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
