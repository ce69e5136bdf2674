/**
 * Open Inference Protocol (KServe v2) REST bodies for the engine's int64 inputs and float logits: binary tensor data
 * (a JSON header, its length in `Inference-Header-Content-Length`, then the raw little-endian tensors) or JSON tensors;
 * and the raw little-endian tensors that gRPC messages carry too.
 */
import { endianness } from 'node:os';
import type { GraphOutput } from './graph';

export const HEADER_LENGTH = 'Inference-Header-Content-Length';

export interface NamedInput {
  name: string;
  data: BigInt64Array;
}

export interface EncodedRequest {
  body: Uint8Array | string;
  headers: Record<string, string>;
}

export function encodeRequest(id: string, inputs: readonly NamedInput[], shape: number[], binary: boolean): EncodedRequest {
  if (!binary) {
    const tensors = inputs.map(({ name, data }) => ({ name, datatype: 'INT64', shape, data: Array.from(data, Number) }));
    return { body: JSON.stringify({ id, inputs: tensors, outputs: [{ name: 'logits' }] }), headers: { 'Content-Type': 'application/json' } };
  }
  const raw = inputs.map(({ data }) => rawTensor(data));
  const header = new TextEncoder().encode(
    JSON.stringify({
      id,
      parameters: { binary_data_output: true },
      inputs: inputs.map(({ name }, k) => ({ name, datatype: 'INT64', shape, parameters: { binary_data_size: raw[k].byteLength } })),
      outputs: [{ name: 'logits', parameters: { binary_data: true } }],
    }),
  );
  const body = new Uint8Array(header.byteLength + raw.reduce((n, r) => n + r.byteLength, 0));
  body.set(header);
  raw.reduce((at, r) => (body.set(r, at), at + r.byteLength), header.byteLength);
  return { body, headers: { 'Content-Type': 'application/octet-stream', [HEADER_LENGTH]: String(header.byteLength) } };
}

interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size?: number } | null;
}

/** The `logits` output of an infer response body, whichever way the server encoded it. */
export function decodeLogits(body: Uint8Array, headerLength: string | null): GraphOutput {
  const jsonEnd = headerLength === null ? body.byteLength : Number(headerLength);
  const header = JSON.parse(new TextDecoder().decode(body.subarray(0, jsonEnd))) as { outputs?: OutputTensor[] };
  let at = jsonEnd;
  for (const output of header.outputs ?? []) {
    const size = output.parameters?.binary_data_size;
    if (output.name !== 'logits') {
      at += size ?? 0;
      continue;
    }
    return checkedLogits(output.datatype, output.shape, () => (size === undefined ? Float32Array.from(output.data ?? []) : floatsOfRaw(body.subarray(at, at + size))));
  }
  throw new Error("the server's answer has no 'logits' output");
}

/** The logits a server sent, once their type and their number of values agree with their shape. */
export function checkedLogits(datatype: string, shape: readonly (number | string)[], values: () => Float32Array): GraphOutput {
  if (datatype !== 'FP32') throw new Error(`the server's logits are ${datatype}, not FP32`);
  const dims = shape.map(Number);
  const logits = values();
  const count = dims.reduce((n, d) => n * d, 1);
  if (logits.length !== count) throw new Error(`the server's logits hold ${logits.length} values, not the ${count} of shape [${dims.join(', ')}]`);
  return { logits, dims };
}

const BIG_ENDIAN = endianness() === 'BE';

/** An int64 tensor's raw bytes, little-endian (the protocol's order). */
export function rawTensor(data: BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!BIG_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i++) swapped[i] = bytes[i - (i % 8) + 7 - (i % 8)];
  return swapped;
}

/** Raw little-endian float32 bytes as numbers, at any byte offset. */
export function floatsOfRaw(bytes: Uint8Array): Float32Array {
  // A copy starts at offset 0, so it is aligned for a Float32Array (and a Buffer's slice() would be no copy).
  if (!BIG_ENDIAN) return new Float32Array(new Uint8Array(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
}
