/** Worker threads that each hold an ONNX session; batches go to the least busy one. */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Device, InitReply, RunReply, WorkerReply } from './workerProtocol';

interface Pending {
  resolve: (reply: RunReply) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  ready!: InitReply;

  private constructor() {}

  /** `workerScript` is the bundled nerWorker.js, beside the server or CLI bundle by default. */
  static async start(options: { onnxPath: string; device: Device; threads: number; workers: number; workerScript?: string }): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const script = options.workerScript ?? path.join(__dirname, 'nerWorker.js');
    const inits = Array.from({ length: Math.max(1, options.workers) }, () => pool.spawn(script, options));
    try {
      const replies = await Promise.all(inits);
      pool.ready = replies[0];
    } catch (error) {
      await pool.dispose();
      throw error;
    }
    return pool;
  }

  private spawn(script: string, options: { onnxPath: string; device: Device; threads: number }): Promise<InitReply> {
    const worker = new Worker(script);
    const slot: Slot = { worker, busy: 0 };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') resolve(reply);
        else if (reply.kind === 'error' && reply.id === undefined) reject(new Error(`cannot load ${options.onnxPath}: ${reply.message}`));
        else if (reply.id !== undefined) this.settle(slot, reply);
      });
      worker.on('exit', (code) => {
        const error = new Error(`inference worker exited with code ${code}`);
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(error);
        }
        reject(error);
      });
      worker.postMessage({ kind: 'init', onnxPath: options.onnxPath, device: options.device, threads: options.threads });
    });
  }

  private settle(slot: Slot, reply: WorkerReply & { id?: number }): void {
    const pending = this.pending.get(reply.id!);
    if (!pending) return;
    this.pending.delete(reply.id!);
    slot.busy--;
    if (reply.kind === 'result') pending.resolve(reply);
    else pending.reject(new Error((reply as { message: string }).message));
  }

  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, sequence: number): Promise<RunReply> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ kind: 'run', id, batch, sequence, inputIds, attentionMask }, [inputIds.buffer as ArrayBuffer, attentionMask.buffer as ArrayBuffer]);
    });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
