/**
 * The engine's graph run by an Open Inference Protocol (KServe v2) server: Triton, KServe, MLServer… over REST or
 * gRPC. Only the model's int64 inputs and float logits travel; tokenization, windowing, decoding and caching stay with
 * the engine. A bounded number of requests in flight, each with a timeout, retried with backoff when the server is
 * unreachable, overloaded or failing (never when it refuses the request itself).
 */
import * as path from 'node:path';
import { readGraphSignature } from '../serving/graphSignature';
import { defaultServingName } from '../serving/servingName';
import { Cancelled } from './cancelled';
import { GraphUnavailable, InferenceServerError, type Graph, type GraphOutput } from './graph';
import { GrpcTransport } from './grpcTransport';
import type { NamedInput } from './inferenceTensors';
import { NoAnswer, ServerRefused, type InferenceTransport, type Protocol } from './inferenceTransport';
import type { ModelFolder } from './modelFolder';
import { RestTransport } from './restTransport';

export interface RemoteGraphOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8000 (REST) or http://127.0.0.1:8001 (gRPC). */
  endpoint: string;
  /** Default 'rest'. */
  protocol?: Protocol;
  /** REST only: JSON tensors from the start instead of binary ones. */
  jsonTensors?: boolean;
  modelName: string;
  /** The input names the model folder's graph takes (all int64): the served model must take the same. */
  inputNames: readonly string[];
  /** Requests in flight at once. */
  concurrency?: number;
  /** Rows per request: larger batches are split (a server refuses more than its max batch size). */
  maxBatch?: number;
  timeoutMs?: number;
  /** Retries of a request that got no answer or a transient refusal (HTTP 5xx or 429, their gRPC statuses). */
  retries?: number;
  /** The first retry waits this long, doubling each time. */
  backoffMs?: number;
  /** The Authorization header's value, e.g. "Bearer x". */
  authorization?: string;
}

export interface RemoteStats {
  requests: number;
  retries: number;
}

/** Where a model folder's graph is served: the model's name defaults to the one export-serving gives the folder. */
export type InferenceServer = Omit<RemoteGraphOptions, 'inputNames' | 'modelName'> & { modelName?: string };

const DEFAULTS = { protocol: 'rest' as Protocol, jsonTensors: false, concurrency: 4, maxBatch: 64, timeoutMs: 60_000, retries: 3, backoffMs: 200 };

export class RemoteGraph implements Graph {
  readonly ready: { device: string };
  readonly stats: RemoteStats = { requests: 0, retries: 0 };
  private readonly options: Required<Omit<RemoteGraphOptions, 'authorization'>> & Pick<RemoteGraphOptions, 'authorization'>;
  private readonly transport: InferenceTransport;
  /** The served model's inputs, in its order. */
  private inputs: string[] = [];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(options: RemoteGraphOptions) {
    this.options = { ...DEFAULTS, ...options };
    const { endpoint, protocol, authorization, jsonTensors } = this.options;
    this.transport = protocol === 'grpc' ? new GrpcTransport(endpoint, authorization) : new RestTransport(endpoint, authorization, !jsonTensors);
    this.ready = { device: `${endpoint.replace(/\/+$/, '')} (model ${options.modelName}, ${protocol === 'grpc' ? 'gRPC' : 'REST'})` };
  }

  /** Connects once the server is ready and serves the model with the model folder's inputs; a clear error otherwise. */
  static async connect(options: RemoteGraphOptions): Promise<RemoteGraph> {
    const graph = new RemoteGraph(options);
    try {
      await graph.checkServer();
    } catch (error) {
      graph.transport.close();
      throw error;
    }
    return graph;
  }

  /** Connects to the server that serves a model folder's graph, which must take the inputs the folder's graph takes. */
  static async forFolder(folder: ModelFolder, server: InferenceServer): Promise<RemoteGraph> {
    const { inputs } = await readGraphSignature(folder.onnxPath);
    const modelName = server.modelName || defaultServingName(path.basename(path.resolve(folder.dir)));
    return RemoteGraph.connect({ ...server, modelName, inputNames: inputs.map((input) => input.name) });
  }

  /** How tensors travel now (binary tensors may have turned to JSON). */
  get transportDescription(): string {
    return this.transport.description;
  }

  async run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, sequence: number, isCancelled?: () => boolean): Promise<GraphOutput> {
    const rows = this.options.maxBatch;
    const parts: Promise<GraphOutput>[] = [];
    for (let from = 0; from < batch; from += rows) {
      const to = Math.min(batch, from + rows);
      const slice = (data: BigInt64Array) => data.subarray(from * sequence, to * sequence);
      parts.push(this.inLine(() => this.infer(slice(inputIds), slice(attentionMask), to - from, sequence), isCancelled));
    }
    const outputs = await Promise.all(parts);
    if (outputs.length === 1) return outputs[0];
    const logits = new Float32Array(outputs.reduce((n, o) => n + o.logits.length, 0));
    outputs.reduce((at, o) => (logits.set(o.logits, at), at + o.logits.length), 0);
    return { logits, dims: [batch, ...outputs[0].dims.slice(1)] };
  }

  async dispose(): Promise<void> {
    this.closed = true;
    this.transport.close();
  }

  private async checkServer(): Promise<void> {
    const where = `the inference server at ${this.options.endpoint}`;
    const { modelName: name, timeoutMs } = this.options;
    try {
      await this.withRetries(() => this.transport.serverReady(timeoutMs));
    } catch (error) {
      throw error instanceof ServerRefused ? new Error(`${where} is not ready (${error.status}: ${error.detail})`) : error;
    }
    let metadata;
    try {
      metadata = await this.withRetries(() => this.transport.modelMetadata(name, timeoutMs));
    } catch (error) {
      if (error instanceof ServerRefused && error.notFound) throw new Error(`${where} serves no model '${name}' (${error.status}: ${error.detail})`);
      throw error instanceof ServerRefused ? new Error(`${where} gave no metadata for '${name}' (${error.status}: ${error.detail})`) : error;
    }
    const served = metadata.inputs.map((input) => `${input.name} (${input.datatype})`).sort();
    const expected = this.options.inputNames.map((input) => `${input} (INT64)`).sort();
    if (served.join() !== expected.join()) {
      throw new Error(`${where} serves '${name}' with inputs ${served.join(', ') || '(none)'}, but the model folder's graph takes ${expected.join(', ')}: is it another model?`);
    }
    const logits = metadata.outputs.find((output) => output.name === 'logits');
    if (!logits || logits.datatype !== 'FP32') throw new Error(`${where} serves '${name}' without an FP32 output 'logits'`);
    this.inputs = metadata.inputs.map((input) => input.name);
  }

  private async infer(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, sequence: number): Promise<GraphOutput> {
    // Feed what the served graph declares: BERT-likes add token_type_ids (zeros for one segment).
    const data: Record<string, () => BigInt64Array> = { input_ids: () => inputIds, attention_mask: () => attentionMask, token_type_ids: () => new BigInt64Array(inputIds.length) };
    const inputs: NamedInput[] = this.inputs.map((name) => ({ name, data: data[name]() }));
    const id = String(this.nextId++);
    try {
      return await this.withRetries(() => {
        this.stats.requests++;
        return this.transport.infer(this.options.modelName, id, inputs, [batch, sequence], this.options.timeoutMs);
      });
    } catch (error) {
      throw error instanceof GraphUnavailable ? error : new InferenceServerError((error as Error).message);
    }
  }

  /** Runs `work` when fewer than `concurrency` requests are in flight; a batch cancelled while waiting is not sent. */
  private async inLine<T>(work: () => Promise<T>, isCancelled?: () => boolean): Promise<T> {
    while (this.inFlight >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed || isCancelled?.()) {
      this.waiting.shift()?.();
      throw new Cancelled();
    }
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  /** A call, tried again with exponential backoff while it gets no answer or a transient refusal. */
  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const transient = error instanceof NoAnswer || (error instanceof ServerRefused && error.retryable);
        if (!transient) throw error;
        if (attempt >= this.options.retries || this.closed) {
          const message = `${error.message} (after ${attempt} retries)`;
          throw error instanceof NoAnswer ? new GraphUnavailable(message) : new Error(message);
        }
      }
      this.stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, this.options.backoffMs * 2 ** attempt));
    }
  }
}
