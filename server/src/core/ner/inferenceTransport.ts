/**
 * How RemoteGraph talks to an Open Inference Protocol (KServe v2) server: REST (restTransport.ts) or gRPC
 * (grpcTransport.ts). A transport makes one attempt per call; RemoteGraph owns the queue, retries and backoff.
 */
import type { GraphOutput } from './graph';
import type { NamedInput } from './inferenceTensors';

export type Protocol = 'rest' | 'grpc';

/** The served model's tensors as its metadata names them (`INT64`, `FP32`…). */
export interface TensorsMetadata {
  inputs: { name: string; datatype: string }[];
  outputs: { name: string; datatype: string }[];
}

export interface InferenceTransport {
  /** How tensors travel now, for reports: e.g. "REST, binary tensors". */
  readonly description: string;
  /** Resolves when the server says it is ready. */
  serverReady(timeoutMs: number): Promise<void>;
  modelMetadata(modelName: string, timeoutMs: number): Promise<TensorsMetadata>;
  /** One infer request for the `logits` output. */
  infer(modelName: string, id: string, inputs: readonly NamedInput[], shape: number[], timeoutMs: number): Promise<GraphOutput>;
  close(): void;
}

/** The server answered, with an error. */
export class ServerRefused extends Error {
  constructor(
    /** The protocol's status: an HTTP status or a gRPC status name. */
    readonly status: string,
    readonly detail: string,
    /** A transient refusal (overloaded, failing): worth another try. */
    readonly retryable: boolean,
    /** The server does not know the model. */
    readonly notFound: boolean,
    request: string,
  ) {
    super(`${request} answered ${status}: ${detail}`);
  }
}

/** No answer came: no server, a dropped connection or a timeout. Always worth another try. */
export class NoAnswer extends Error {}
