/**
 * The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`, grpc_predict_v2.proto beside this module
 * and in dist/): tensors travel as raw little-endian bytes, one HTTP/2 connection carries every request in flight.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import type { GraphOutput } from './graph';
import { checkedLogits, floatsOfRaw, rawTensor, type NamedInput } from './inferenceTensors';
import { NoAnswer, ServerRefused, type InferenceTransport, type TensorsMetadata } from './inferenceTransport';

/** Beside the bundle in dist/, beside this file under tsx. */
const PROTO = path.join(__dirname, 'grpc_predict_v2.proto');

interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents: { fp32_contents: number[] } | null;
}

type Callback<T> = (error: grpc.ServiceError | null, reply: T) => void;
type Method = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<unknown>) => void;

/** gRPC statuses that are the server failing or overloaded, worth another try (as HTTP 5xx and 429). */
const TRANSIENT = new Set([grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.ABORTED]);

let serviceConstructor: grpc.ServiceClientConstructor | undefined;

/** The service's client class, from the .proto, read once. */
function inferenceService(): grpc.ServiceClientConstructor {
  if (!serviceConstructor) {
    const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
    const { inference } = grpc.loadPackageDefinition(definition) as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
    serviceConstructor = inference.GRPCInferenceService;
  }
  return serviceConstructor;
}

export class GrpcTransport implements InferenceTransport {
  readonly description = 'gRPC, raw tensors';
  private readonly client: grpc.Client;
  private readonly target: string;

  /** `endpoint`: http://host:port (plain) or https://host:port (TLS). */
  constructor(
    endpoint: string,
    private readonly authorization: string | undefined,
  ) {
    const url = new URL(endpoint);
    this.target = url.host;
    const credentials = url.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    // Logits of a large batch pass gRPC's 4 MB default.
    this.client = new (inferenceService())(this.target, credentials, { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  }

  async serverReady(timeoutMs: number): Promise<void> {
    const { ready } = await this.call<{ ready: boolean }>('ServerReady', {}, timeoutMs);
    if (!ready) throw new ServerRefused('not ready', 'ServerReady answered false', true, false, this.describe('ServerReady'));
  }

  async modelMetadata(modelName: string, timeoutMs: number): Promise<TensorsMetadata> {
    const { inputs, outputs } = await this.call<TensorsMetadata>('ModelMetadata', { name: modelName }, timeoutMs);
    return { inputs, outputs };
  }

  async infer(modelName: string, id: string, inputs: readonly NamedInput[], shape: number[], timeoutMs: number): Promise<GraphOutput> {
    const request = {
      model_name: modelName,
      id,
      inputs: inputs.map(({ name }) => ({ name, datatype: 'INT64', shape })),
      outputs: [{ name: 'logits' }],
      raw_input_contents: inputs.map(({ data }) => Buffer.from(rawTensor(data))),
    };
    const reply = await this.call<{ outputs: OutputTensor[]; raw_output_contents: Buffer[] }>('ModelInfer', request, timeoutMs);
    const at = reply.outputs.findIndex((output) => output.name === 'logits');
    if (at < 0) throw new Error("the server's answer has no 'logits' output");
    const { datatype, shape: dims, contents } = reply.outputs[at];
    // Raw contents, when a server sends them, come one per output in the outputs' order.
    const raw = reply.raw_output_contents[at];
    return checkedLogits(datatype, dims, () => (raw ? floatsOfRaw(raw) : Float32Array.from(contents?.fp32_contents ?? [])));
  }

  close(): void {
    this.client.close();
  }

  private call<T>(method: string, request: object, timeoutMs: number): Promise<T> {
    const metadata = new grpc.Metadata();
    if (this.authorization) metadata.set('authorization', this.authorization);
    const stub = (this.client as unknown as Record<string, Method>)[method].bind(this.client);
    return new Promise((resolve, reject) =>
      stub(request, metadata, { deadline: Date.now() + timeoutMs }, (error, reply) => (error ? reject(this.failure(method, error, timeoutMs)) : resolve(reply as T))),
    );
  }

  /** A failed call as the transports say it: no answer (retried), or the server's refusal. */
  private failure(method: string, error: grpc.ServiceError, timeoutMs: number): Error {
    // grpc-js ends a connection failure's details with an empty "Resolution note:".
    if (error.code === grpc.status.UNAVAILABLE) return new NoAnswer(`the inference server at ${this.target} did not answer ${method}: ${error.details.replace(/\s*Resolution note:\s*$/, '')}`);
    if (error.code === grpc.status.DEADLINE_EXCEEDED) return new NoAnswer(`the inference server at ${this.target} did not answer ${method}: no answer within ${timeoutMs / 1000} s`);
    return new ServerRefused(grpc.status[error.code], error.details, TRANSIENT.has(error.code), error.code === grpc.status.NOT_FOUND, this.describe(method));
  }

  private describe(method: string): string {
    return `the inference server at ${this.target} (gRPC ${method})`;
  }
}
