/**
 * A Triton `config.pbtxt` (protobuf text of Triton's ModelConfig) for an ONNX token classifier on the ONNX Runtime
 * backend, with dynamic batching: the graph's own inputs and its logits output, each without the batch dimension,
 * which Triton adds because max_batch_size > 0.
 */
import type { GraphSignature, TensorSignature } from './graphSignature';

export interface TritonOptions {
  /** Triton's model name: the name of the model's folder in the repository. */
  name: string;
  /** The largest batch one request or one dynamic batch may hold. */
  maxBatch: number;
  /** Copies of the model that run requests in parallel. */
  instances: number;
  gpu: boolean;
  /** Labels in config.json's id2label: the logits' last dimension. */
  labels: number;
}

/** onnxruntime's element types and Triton's names of them (model_config.proto DataType). */
const TRITON_TYPES: Record<string, string> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  string: 'TYPE_STRING',
};

/**
 * How long the batcher waits for more requests to join a batch. BioNER already sends each request as a batch of
 * windows, so the wait only has to gather requests that arrive together (several editors, or workers): a
 * millisecond, well under one batch's run time. No preferred_batch_size: Triton's guide keeps it for models that are
 * faster at particular sizes, and a padded sequence model is not.
 */
const MAX_QUEUE_DELAY_MICROSECONDS = 1000;

export function tritonConfig(signature: GraphSignature, options: TritonOptions): string {
  const logits = logitsTensor(signature.logits, options.labels);
  const tensor = (t: TensorSignature) =>
    ['  {', `    name: ${quote(t.name)}`, `    data_type: ${tritonType(t)}`, `    dims: [ ${batchless(t).join(', ')} ]`, '  }'].join('\n');
  return [
    `# Triton model configuration written by bioner export-serving: the ONNX graph alone (tokenization, windowing and`,
    `# decoding stay in BioNER). Triton's model_config.proto documents every field.`,
    `name: ${quote(options.name)}`,
    `platform: "onnxruntime_onnx"`,
    `max_batch_size: ${options.maxBatch}`,
    `input [\n${signature.inputs.map(tensor).join(',\n')}\n]`,
    `output [\n${tensor(logits)}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: ${MAX_QUEUE_DELAY_MICROSECONDS}\n}`,
    `instance_group [\n  {\n    kind: ${options.gpu ? 'KIND_GPU' : 'KIND_CPU'}\n    count: ${options.instances}\n  }\n]`,
    '',
  ].join('\n');
}

/** The logits [batch, sequence, labels], their label dimension filled in from config.json when the graph leaves it free. */
function logitsTensor(logits: TensorSignature, labels: number): TensorSignature {
  if (logits.dims.length !== 3) throw new Error(`the graph's output '${logits.name}' has ${logits.dims.length} dimensions, not [batch, sequence, labels]`);
  const width = logits.dims[2];
  if (width !== -1 && width !== labels) throw new Error(`config.json's id2label has ${labels} labels but the graph's '${logits.name}' has ${width}`);
  return { ...logits, dims: [logits.dims[0], logits.dims[1], labels] };
}

/** A tensor's dims as Triton declares them with batching: without the first, which must be free for batches to vary. */
function batchless(tensor: TensorSignature): number[] {
  if (tensor.dims.length === 0 || tensor.dims[0] !== -1) {
    throw new Error(`the graph's '${tensor.name}' has a fixed first dimension (${tensor.dims[0] ?? 'none'}): Triton can batch only a graph whose batch dimension is free`);
  }
  return tensor.dims.slice(1);
}

function tritonType(tensor: TensorSignature): string {
  const type = TRITON_TYPES[tensor.type];
  if (!type) throw new Error(`the graph's '${tensor.name}' has element type ${tensor.type}, which Triton cannot serve`);
  return type;
}

/** A protobuf text-format string. */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
}
