/**
 * The engine's graph run by an Open Inference Protocol (KServe v2) REST server: Triton, KServe, MLServer… Only the
 * model's int64 inputs and float logits travel; tokenization, windowing, decoding and caching stay with the engine.
 * Binary tensors by default, JSON when the server refuses them; a bounded number of requests in flight, each with a
 * timeout, retried with backoff when the server is unreachable, overloaded or failing (never on a 4xx).
 */
import { Cancelled } from './cancelled';
import { GraphUnavailable, type Graph, type GraphOutput } from './graph';
import { decodeLogits, encodeRequest, HEADER_LENGTH, type NamedInput } from './inferenceTensors';

export interface RemoteGraphOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8000. */
  endpoint: string;
  modelName: string;
  /** The input names the model folder's graph takes (all int64): the served model must take the same. */
  inputNames: readonly string[];
  /** Requests in flight at once. */
  concurrency?: number;
  /** Rows per request: larger batches are split (a server refuses more than its max batch size). */
  maxBatch?: number;
  timeoutMs?: number;
  /** Retries of a request that found no server, a 5xx or a 429. */
  retries?: number;
  /** The first retry waits this long, doubling each time. */
  backoffMs?: number;
  /** The Authorization header's value, e.g. "Bearer x". */
  authorization?: string;
}

export interface RemoteStats {
  requests: number;
  retries: number;
  /** Whether tensors travel as binary data (false once the server refused it). */
  binary: boolean;
}

const DEFAULTS = { concurrency: 4, maxBatch: 64, timeoutMs: 60_000, retries: 3, backoffMs: 200 };

/** An HTTP answer that is not a success, with the server's error message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    request: string,
  ) {
    super(`${request} answered ${status}: ${detail}`);
  }
}

export class RemoteGraph implements Graph {
  readonly ready: { device: string };
  readonly stats: RemoteStats = { requests: 0, retries: 0, binary: true };
  private readonly options: Required<Omit<RemoteGraphOptions, 'authorization'>> & Pick<RemoteGraphOptions, 'authorization'>;
  private readonly base: string;
  /** The served model's inputs, in its order. */
  private inputs: string[] = [];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(options: RemoteGraphOptions) {
    this.options = { ...DEFAULTS, ...options };
    this.base = options.endpoint.replace(/\/+$/, '');
    this.ready = { device: `${this.base} (model ${options.modelName})` };
  }

  /** Connects once the server is ready and serves the model with the model folder's inputs; a clear error otherwise. */
  static async connect(options: RemoteGraphOptions): Promise<RemoteGraph> {
    const graph = new RemoteGraph(options);
    await graph.checkServer();
    return graph;
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
  }

  private async checkServer(): Promise<void> {
    const where = `the inference server at ${this.base}`;
    try {
      await this.request('GET', '/v2/health/ready');
    } catch (error) {
      throw error instanceof HttpError ? new Error(`${where} is not ready (${error.status}: ${error.detail})`) : error;
    }
    const name = this.options.modelName;
    let metadata: { inputs?: { name: string; datatype: string }[]; outputs?: { name: string; datatype: string }[] };
    try {
      metadata = JSON.parse(new TextDecoder().decode((await this.request('GET', `/v2/models/${encodeURIComponent(name)}`)).body));
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) throw new Error(`${where} serves no model '${name}' (404: ${error.detail})`);
      throw error instanceof HttpError ? new Error(`${where} gave no metadata for '${name}' (${error.status}: ${error.detail})`) : error;
    }
    const served = (metadata.inputs ?? []).map((input) => `${input.name} (${input.datatype})`).sort();
    const expected = this.options.inputNames.map((input) => `${input} (INT64)`).sort();
    if (served.join() !== expected.join()) {
      throw new Error(`${where} serves '${name}' with inputs ${served.join(', ') || '(none)'}, but the model folder's graph takes ${expected.join(', ')}: is it another model?`);
    }
    const logits = metadata.outputs?.find((output) => output.name === 'logits');
    if (!logits || logits.datatype !== 'FP32') throw new Error(`${where} serves '${name}' without an FP32 output 'logits'`);
    this.inputs = (metadata.inputs ?? []).map((input) => input.name);
  }

  /** One infer request, in binary, or in JSON once the server refused binary. */
  private async infer(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, sequence: number): Promise<GraphOutput> {
    // Feed what the served graph declares: BERT-likes add token_type_ids (zeros for one segment).
    const data: Record<string, () => BigInt64Array> = { input_ids: () => inputIds, attention_mask: () => attentionMask, token_type_ids: () => new BigInt64Array(inputIds.length) };
    const inputs: NamedInput[] = this.inputs.map((name) => ({ name, data: data[name]() }));
    const path = `/v2/models/${encodeURIComponent(this.options.modelName)}/infer`;
    const send = (binary: boolean) => this.request('POST', path, encodeRequest(String(this.nextId++), inputs, [batch, sequence], binary));
    try {
      const reply = await send(this.stats.binary);
      return decodeLogits(reply.body, reply.headerLength);
    } catch (error) {
      if (!this.stats.binary || !refusesBinary(error)) throw error;
      this.stats.binary = false;
      const reply = await send(false);
      return decodeLogits(reply.body, reply.headerLength);
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

  /** An HTTP request, retried with exponential backoff while there is no answer, a 5xx or a 429. */
  private async request(method: string, path: string, payload?: { body: Uint8Array | string; headers: Record<string, string> }): Promise<{ body: Uint8Array; headerLength: string | null }> {
    const headers: Record<string, string> = { ...payload?.headers, ...(this.options.authorization ? { Authorization: this.options.authorization } : {}) };
    for (let attempt = 0; ; attempt++) {
      if (method === 'POST') this.stats.requests++;
      let failure: Error;
      try {
        const response = await fetch(this.base + path, { method, headers, body: payload?.body, signal: AbortSignal.timeout(this.options.timeoutMs) });
        const body = new Uint8Array(await response.arrayBuffer());
        if (response.ok) return { body, headerLength: response.headers.get(HEADER_LENGTH) };
        failure = new HttpError(response.status, errorText(body), `the inference server at ${this.base} ${method} ${path}`);
        if (response.status < 500 && response.status !== 429) throw failure;
      } catch (error) {
        if (error instanceof HttpError && error.status < 500 && error.status !== 429) throw error;
        failure = error instanceof HttpError ? error : new GraphUnavailable(`the inference server at ${this.base} did not answer ${method} ${path}: ${networkReason(error as Error, this.options.timeoutMs)}`);
      }
      if (attempt >= this.options.retries || this.closed) {
        const message = `${failure.message} (after ${attempt} retries)`;
        throw failure instanceof HttpError ? new Error(message) : new GraphUnavailable(message);
      }
      this.stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, this.options.backoffMs * 2 ** attempt));
    }
  }
}

/** Whether a failed request says that the server does not take binary tensor data. */
function refusesBinary(error: unknown): boolean {
  return error instanceof HttpError && (error.status === 415 || (error.status === 400 && /binary|inference-header/i.test(error.detail)));
}

/** The server's error message: the v2 protocol's `{"error": …}`, else the body's first line. */
function errorText(body: Uint8Array): string {
  const text = new TextDecoder().decode(body);
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not JSON: the text itself.
  }
  return text.split('\n')[0].slice(0, 300) || '(no message)';
}

/** Why fetch got no answer: a timeout, or the socket error (connection refused, reset…). */
function networkReason(error: Error, timeoutMs: number): string {
  if (error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
