/**
 * The Open Inference Protocol over REST: binary tensor data by default, JSON tensors once the server refuses binary
 * (or from the start when asked).
 */
import type { GraphOutput } from './graph';
import { decodeLogits, encodeRequest, HEADER_LENGTH, type NamedInput } from './inferenceTensors';
import { NoAnswer, ServerRefused, type InferenceTransport, type TensorsMetadata } from './inferenceTransport';

export class RestTransport implements InferenceTransport {
  private readonly base: string;

  constructor(
    endpoint: string,
    private readonly authorization: string | undefined,
    /** Whether tensors travel as binary data (false once the server refused it). */
    private binary = true,
  ) {
    this.base = endpoint.replace(/\/+$/, '');
  }

  get description(): string {
    return `REST, ${this.binary ? 'binary' : 'JSON'} tensors`;
  }

  async serverReady(timeoutMs: number): Promise<void> {
    await this.request('GET', '/v2/health/ready', timeoutMs);
  }

  async modelMetadata(modelName: string, timeoutMs: number): Promise<TensorsMetadata> {
    const reply = await this.request('GET', `/v2/models/${encodeURIComponent(modelName)}`, timeoutMs);
    const metadata = JSON.parse(new TextDecoder().decode(reply.body)) as Partial<TensorsMetadata>;
    return { inputs: metadata.inputs ?? [], outputs: metadata.outputs ?? [] };
  }

  async infer(modelName: string, id: string, inputs: readonly NamedInput[], shape: number[], timeoutMs: number): Promise<GraphOutput> {
    const path = `/v2/models/${encodeURIComponent(modelName)}/infer`;
    const send = async (binary: boolean) => {
      const reply = await this.request('POST', path, timeoutMs, encodeRequest(id, inputs, shape, binary));
      return decodeLogits(reply.body, reply.headerLength);
    };
    try {
      return await send(this.binary);
    } catch (error) {
      if (!this.binary || !refusesBinary(error)) throw error;
      this.binary = false;
      return send(false);
    }
  }

  close(): void {
    // fetch keeps no connection of ours open.
  }

  private async request(method: string, path: string, timeoutMs: number, payload?: { body: Uint8Array | string; headers: Record<string, string> }): Promise<{ body: Uint8Array; headerLength: string | null }> {
    const headers: Record<string, string> = { ...payload?.headers, ...(this.authorization ? { Authorization: this.authorization } : {}) };
    let response: Response;
    let body: Uint8Array;
    try {
      response = await fetch(this.base + path, { method, headers, body: payload?.body, signal: AbortSignal.timeout(timeoutMs) });
      body = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new NoAnswer(`the inference server at ${this.base} did not answer ${method} ${path}: ${networkReason(error as Error, timeoutMs)}`);
    }
    if (response.ok) return { body, headerLength: response.headers.get(HEADER_LENGTH) };
    const status = response.status;
    throw new ServerRefused(String(status), errorText(body), status >= 500 || status === 429, status === 404, `the inference server at ${this.base} ${method} ${path}`);
  }
}

/** Whether a failed request says that the server does not take binary tensor data. */
function refusesBinary(error: unknown): boolean {
  return error instanceof ServerRefused && (error.status === '415' || (error.status === '400' && /binary|inference-header/i.test(error.detail)));
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
