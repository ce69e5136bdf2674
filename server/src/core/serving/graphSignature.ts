/** The tensors an ONNX graph takes and gives (names, element types, dimensions), read from the graph by onnxruntime. */
import * as ort from 'onnxruntime-node';

export interface TensorSignature {
  name: string;
  /** onnxruntime's element type: 'int64', 'float32', … */
  type: string;
  /** Every dimension, batch first: its size, or -1 where the graph leaves it free (a named or unknown dimension). */
  dims: number[];
}

export interface GraphSignature {
  inputs: TensorSignature[];
  /** The output the engine reads (`logits`, else the graph's first output), [batch, sequence, labels]. */
  logits: TensorSignature;
}

export async function readGraphSignature(onnxPath: string): Promise<GraphSignature> {
  // No optimisation: only the declared inputs and outputs are wanted, and a large graph then loads faster.
  const session = await ort.InferenceSession.create(onnxPath, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 }).catch((error: Error) => {
    throw new Error(`cannot read the graph ${onnxPath}: ${error.message}`);
  });
  try {
    const inputs = session.inputMetadata.map((value) => tensorOf(value, onnxPath));
    const outputs = session.outputMetadata.map((value) => tensorOf(value, onnxPath));
    const logits = outputs.find((output) => output.name === 'logits') ?? outputs[0];
    if (!logits) throw new Error(`the graph ${onnxPath} has no output`);
    return { inputs, logits };
  } finally {
    await session.release();
  }
}

function tensorOf(value: ort.InferenceSession.ValueMetadata, onnxPath: string): TensorSignature {
  if (!value.isTensor) throw new Error(`the graph ${onnxPath} has '${value.name}', which is not a tensor: only tensors can be served`);
  return { name: value.name, type: value.type, dims: value.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)) };
}
