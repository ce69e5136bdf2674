/** Inference worker thread: owns one onnxruntime session and runs the batches it is sent. */
import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { Gate, type Device, type InitReply, type WorkerReply, type WorkerRequest } from './core/ner/workerProtocol';

let session: ort.InferenceSession | undefined;
let gate: Int32Array | undefined;
// Failures come back as exceptions (a missing GPU provider as fallbackReason): the native log would only repeat them.
ort.env.logLevel = 'fatal';

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

async function createSession(onnxPath: string, device: Device, threads: number): Promise<InitReply> {
  const options = (provider: string): ort.InferenceSession.SessionOptions => ({
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const wanted: ('cuda' | 'webgpu')[] = device === 'cuda' || device === 'webgpu' ? [device] : device === 'auto' && hasNvidiaGpu() ? ['cuda'] : [];
  let fallbackReason: string | undefined;
  for (const provider of wanted) {
    try {
      session = await ort.InferenceSession.create(onnxPath, options(provider));
      return describe(provider);
    } catch (error) {
      fallbackReason = `${provider} unavailable: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  session = await ort.InferenceSession.create(onnxPath, options('cpu'));
  return { ...describe('cpu'), fallbackReason: device === 'auto' ? undefined : fallbackReason };
}

function hasNvidiaGpu(): boolean {
  return existsSync('/dev/nvidia0');
}

function describe(device: 'cpu' | 'cuda' | 'webgpu'): InitReply {
  return { kind: 'ready', device, inputNames: [...session!.inputNames], outputNames: [...session!.outputNames] };
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
      reply(await guarded(() => createSession(request.onnxPath, request.device, request.threads)));
      return;
    }
    const dims = [request.batch, request.sequence];
    // Feed only what the graph declares: exporters drop unused inputs, BERT-likes add token_type_ids.
    const available: Record<string, () => BigInt64Array> = {
      input_ids: () => request.inputIds,
      attention_mask: () => request.attentionMask,
      token_type_ids: () => new BigInt64Array(request.inputIds.length),
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session!.inputNames) {
      if (!available[name]) throw new Error(`the model needs an input '${name}' this engine does not provide (it provides ${Object.keys(available).join(', ')})`);
      feeds[name] = new ort.Tensor('int64', available[name](), dims);
    }
    const output = await guarded(() => session!.run(feeds));
    const logits = output.logits ?? output[session!.outputNames[0]];
    const data = logits.data as Float32Array;
    reply({ kind: 'result', id: request.id, logits: data, dims: [...logits.dims] }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    reply({ kind: 'error', id: request.kind === 'run' ? request.id : undefined, message: (error as Error).message });
  }
});
