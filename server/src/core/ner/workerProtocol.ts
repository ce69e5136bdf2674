/** Messages between the inference pool and its worker threads. */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

export interface InitRequest {
  kind: 'init';
  onnxPath: string;
  device: Device;
  threads: number;
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

export type WorkerRequest = InitRequest | RunRequest;
export type WorkerReply = InitReply | RunReply | ErrorReply;
