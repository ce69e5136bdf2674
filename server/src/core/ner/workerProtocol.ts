/** Messages between the inference pool and its worker threads. */
import type { DeviceSetting } from '@common/settings';

export type Device = DeviceSetting;

export interface InitRequest {
  kind: 'init';
  onnxPath: string;
  device: Device;
  threads: number;
  /** Shared with the pool: see `Gate`. */
  gate: SharedArrayBuffer;
}

export interface InitReply {
  kind: 'ready';
  /** The execution provider the session really uses. */
  device: 'cpu' | 'cuda' | 'webgpu';
  /** Why the requested device was not used, when it was not. */
  fallbackReason?: string;
  inputNames: string[];
  outputNames: string[];
}

export interface RunRequest {
  kind: 'run';
  id: number;
  batch: number;
  sequence: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** The graph to run it on: the model, or the model cut to the heads the batch is read for. */
  onnxPath: string;
}

export interface RunReply {
  kind: 'result';
  id: number;
  logits: Float32Array;
  /** [batch, sequence, labels] */
  dims: number[];
}

export interface ErrorReply {
  kind: 'error';
  id?: number;
  message: string;
}

/**
 * Two shared counters that let the process exit only between native calls: a worker thread torn down while
 * onnxruntime runs for it aborts the whole process (`terminate called after throwing an instance of 'Napi::Error'`).
 * A worker counts itself in RUNNING before each native call and gives up when CLOSING is set; the pool sets
 * CLOSING, then waits until RUNNING is zero before any worker is terminated.
 */
export const Gate = { CLOSING: 0, RUNNING: 1, SIZE: 2 } as const;

export type WorkerRequest = InitRequest | RunRequest;
export type WorkerReply = InitReply | RunReply | ErrorReply;
