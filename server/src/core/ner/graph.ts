/** Where the engine runs its ONNX graph: local worker threads (WorkerPool) or an inference server (RemoteGraph). */

/** Logits `[batch, sequence, labels]`, row-major. */
export interface GraphOutput {
  logits: Float32Array;
  dims: number[];
}

export interface Graph {
  /** What runs the graph (`cpu`, `cuda`, an endpoint…), and why the requested device was not used, when it was not. */
  readonly ready: { device: string; fallbackReason?: string };
  /**
   * Runs int64 `[batch, sequence]` inputs; dropped with `Cancelled` if `isCancelled` says so before it is sent. `heads`
   * (indices into `bioner.heads`) are those whose logits the caller reads: a runner may compute only theirs and give
   * zeros for the rest of the label axis.
   */
  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, sequence: number, isCancelled?: () => boolean, heads?: readonly number[]): Promise<GraphOutput>;
  dispose(): Promise<void>;
}

/** Inference failed for want of a runner (workers died, the server went away), not because of what the graph said. */
export class GraphUnavailable extends Error {}

/** An inference server refused or failed a request, or answered with something other than the logits asked for. */
export class InferenceServerError extends Error {}
