/**
 * Worker threads that each hold an ONNX session. Batches wait in a queue and go to an idle worker one at a time,
 * so cancelled work never reaches a session; a worker that dies is replaced with backoff and its batch re-run;
 * closing (dispose, or the process exiting) waits for native calls in flight, which would otherwise abort.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Cancelled } from './cancelled';
import { GraphUnavailable, type Graph } from './graph';
import { HeadGraphs } from './graphPruning';
import { Gate, type Device, type InitReply, type RunReply, type WorkerReply } from './workerProtocol';

export interface WorkerPoolOptions {
  onnxPath: string;
  device: Device;
  threads: number;
  workers: number;
  /** A multi-head graph's label count per head, in the logits' order: batches then run on graphs cut to their heads. */
  headWidths?: readonly number[];
  /** The heads of the sessions made at start (every head when absent). */
  heads?: readonly number[];
  /** The bundled nerWorker.js, beside the server or CLI bundle by default. */
  workerScript?: string;
  /** A worker died and is being replaced (the batch it ran is re-run). */
  onWorkerExit?: (message: string) => void;
}

interface Job {
  id: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  sequence: number;
  isCancelled?: () => boolean;
  /** The graph that computes the heads the batch is read for. */
  onnxPath: string;
  /** Workers that died running this batch. */
  crashes: number;
  resolve: (reply: RunReply) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Its session is created: until then it takes no batch. */
  started: boolean;
  /** The batch the worker runs now: one at a time, so that the queue decides what runs next. */
  job?: Job;
}

/** A batch that took down this many workers is failed rather than retried: it is the cause. */
const MAX_CRASHES_PER_JOB = 2;
/** Replacing a dead worker waits 100 ms, doubling per consecutive death, up to this. */
const MAX_RESTART_DELAY_MS = 5_000;
/** Consecutive deaths (without a batch completed in between) after which the pool gives up. */
const MAX_CONSECUTIVE_DEATHS = 6;
/** How long closing waits for native calls in flight (each is one bounded batch or a session being created). */
const EXIT_WAIT_MS = 10_000;

/** Inference failed because worker threads died, not because of what the graph said. */
export class WorkerCrash extends GraphUnavailable {}

/** Pools not yet closed: the process's exit waits for their native calls (see `Gate`). */
const livePools = new Set<WorkerPool>();
process.on('exit', () => {
  for (const pool of livePools) pool.closeNow();
});

export class WorkerPool implements Graph {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly gate = new Int32Array(new SharedArrayBuffer(Gate.SIZE * Int32Array.BYTES_PER_ELEMENT));
  private readonly script: string;
  private readonly graphs: HeadGraphs;
  private closed = false;
  /** Set once the pool gave up replacing workers: every run fails with it. */
  private broken?: Error;
  private consecutiveDeaths = 0;
  private restartTimer?: NodeJS.Timeout;
  private nextId = 0;
  ready!: InitReply;

  private constructor(private readonly options: WorkerPoolOptions) {
    this.script = options.workerScript ?? path.join(__dirname, 'nerWorker.js');
    this.graphs = new HeadGraphs(options.onnxPath, options.headWidths);
    livePools.add(this);
  }

  /**
   * Ready once one session is: it takes batches at once and the others join as they load (sessions loading together
   * on two cores took twice as long as one, all of it before the first batch).
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    const spawns = Array.from({ length: Math.max(1, options.workers) }, () => pool.spawn());
    try {
      pool.ready = await Promise.any(spawns);
    } catch (error) {
      await pool.dispose();
      throw (error as AggregateError).errors[0];
    }
    // A session that fails after another loaded leaves the pool smaller, and says so.
    for (const spawn of spawns) spawn.catch((error: Error) => pool.closed || options.onWorkerExit?.(`an inference worker could not start (${error.message})`));
    return pool;
  }

  /** Queues a batch; it is dropped with `Cancelled` if `isCancelled` says so before a worker takes it. */
  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, sequence: number, isCancelled?: () => boolean, heads?: readonly number[]): Promise<RunReply> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new Cancelled());
    return new Promise((resolve, reject) => {
      const onnxPath = this.graphs.pathFor(heads);
      this.queue.push({ id: this.nextId++, inputIds, attentionMask, batch, sequence, isCancelled, onnxPath, crashes: 0, resolve, reject });
      this.dispatch();
    });
  }

  /** Drops the queue, lets the native calls in flight end, then ends the workers; their batches end `Cancelled`. */
  async dispose(): Promise<void> {
    if (this.closed && this.slots.length === 0) return;
    this.close();
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (let running = this.running(); running > 0 && Date.now() < deadline; running = this.running()) {
      await Atomics.waitAsync(this.gate, Gate.RUNNING, running, deadline - Date.now()).value;
    }
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.job?.reject(new Cancelled());
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    this.graphs.dispose();
    livePools.delete(this);
  }

  /** For a process that exits now: no native call starts, and those running are waited for (synchronously). */
  closeNow(): void {
    this.close();
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (let running = this.running(); running > 0 && Date.now() < deadline; running = this.running()) {
      Atomics.wait(this.gate, Gate.RUNNING, running, deadline - Date.now());
    }
    this.graphs.dispose();
  }

  private close(): void {
    this.closed = true;
    Atomics.store(this.gate, Gate.CLOSING, 1);
    clearTimeout(this.restartTimer);
    this.rejectQueued(new Cancelled());
  }

  private running(): number {
    return Atomics.load(this.gate, Gate.RUNNING);
  }

  private spawn(): Promise<InitReply> {
    const worker = new Worker(this.script);
    const slot: Slot = { worker, started: false };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') {
          slot.started = true;
          resolve(reply);
          this.dispatch();
        } else if (reply.kind === 'error' && reply.id === undefined) {
          reject(new Error(`cannot load ${this.options.onnxPath}: ${reply.message}`));
          void worker.terminate();
        } else this.settle(slot, reply);
      });
      // An uncaught exception in the worker comes as 'error', then 'exit'; the exit handles both.
      worker.on('error', () => undefined);
      worker.on('exit', (code) => {
        if (slot.started) return this.died(slot, code);
        this.slots.splice(this.slots.indexOf(slot), 1);
        reject(new Error(`the inference worker exited with code ${code} while loading ${this.options.onnxPath}`));
      });
      const { device, threads, heads } = this.options;
      worker.postMessage({ kind: 'init', onnxPath: this.graphs.pathFor(heads), device, threads, gate: this.gate.buffer });
    });
  }

  /** Sends queued batches to idle workers; cancelled ones are dropped on the way. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || !slot.started || this.closed) continue;
      let job = this.queue.shift();
      while (job?.isCancelled?.()) {
        job.reject(new Cancelled());
        job = this.queue.shift();
      }
      if (!job) return;
      slot.job = job;
      // Inputs are copied, not transferred: a batch must survive its worker dying.
      const { id, batch, sequence, inputIds, attentionMask, onnxPath } = job;
      slot.worker.postMessage({ kind: 'run', id, batch, sequence, inputIds, attentionMask, onnxPath });
    }
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    const job = slot.job;
    if (!job || !('id' in reply) || reply.id !== job.id) return;
    slot.job = undefined;
    this.consecutiveDeaths = 0;
    if (reply.kind === 'result') job.resolve(reply);
    else job.reject(new Error(reply.message));
    this.dispatch();
  }

  /** A worker died: its batch goes back to the front of the queue and a replacement starts after a backoff. */
  private died(slot: Slot, code: number): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return; // terminated by dispose, which settles its batch
    this.slots.splice(at, 1);
    const job = slot.job;
    if (job && ++job.crashes >= MAX_CRASHES_PER_JOB) job.reject(new WorkerCrash(`inference failed: the workers running this batch exited ${job.crashes} times (last code ${code})`));
    else if (job) this.queue.unshift(job);
    this.replaceWorker(`an inference worker exited with code ${code}`);
  }

  private replaceWorker(reason: string): void {
    if (this.closed) return;
    this.consecutiveDeaths++;
    if (this.consecutiveDeaths > MAX_CONSECUTIVE_DEATHS) {
      this.broken = new WorkerCrash(`inference stopped: ${reason}, the ${this.consecutiveDeaths}th failure in a row`);
      this.options.onWorkerExit?.(this.broken.message);
      this.rejectQueued(this.broken);
      return;
    }
    const delay = Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (this.consecutiveDeaths - 1));
    this.options.onWorkerExit?.(`${reason}; restarting it in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.spawn().catch((error: Error) => this.replaceWorker(`an inference worker could not be restarted (${error.message})`));
    }, delay);
  }

  private rejectQueued(error: Error): void {
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}
