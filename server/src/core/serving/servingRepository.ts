/**
 * What `bioner export-serving` writes: a Triton model repository holding one ONNX graph (NAME/config.pbtxt,
 * NAME/1/model.onnx), a KServe InferenceService manifest beside it, and a README saying how to serve both.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { GraphSignature } from './graphSignature';
import { inferenceServiceManifest } from './kserveManifest';
import { tritonConfig } from './tritonConfig';

export interface ServingExport {
  /** Triton's model name and the InferenceService's. */
  name: string;
  /** The model folder's graph (onnx/model.onnx or onnx/model_quantized.onnx). */
  graphPath: string;
  signature: GraphSignature;
  /** How many labels config.json's id2label has. */
  labels: number;
  maxBatch: number;
  instances: number;
  gpu: boolean;
  /** The manifest's placeholder for where the cluster reads the repository. */
  storageUri: string;
}

/** Writes the repository into the empty folder `dir`; returns the files written, relative to it. */
export async function writeServingRepository(dir: string, spec: ServingExport): Promise<string[]> {
  // Rendered first: a graph that Triton cannot serve fails before anything is copied.
  const config = tritonConfig(spec.signature, spec);
  const files = {
    config: path.join(spec.name, 'config.pbtxt'),
    graph: path.join(spec.name, '1', 'model.onnx'),
    manifest: 'inferenceservice.yaml',
    readme: 'README.md',
  };
  await mkdir(path.join(dir, spec.name, '1'), { recursive: true });
  await copyFile(spec.graphPath, path.join(dir, files.graph));
  await writeFile(path.join(dir, files.config), config);
  await writeFile(path.join(dir, files.manifest), inferenceServiceManifest(spec));
  await writeFile(path.join(dir, files.readme), servingReadme(spec));
  return Object.values(files);
}

function servingReadme(spec: ServingExport): string {
  const tensor = (t: { name: string; type: string; dims: number[] }) => `\`${t.name}\` ${t.type} [${t.dims.map((d) => (d === -1 ? '-1' : d)).join(', ')}]`;
  return `# ${spec.name}: a BioNER model for Triton and KServe

Written by \`bioner export-serving\`. The served model is the ONNX graph alone: tokenization, windowing and CRF
decoding stay with the client (BioNER, with the model folder), which sends the graph's tensors over the Open Inference
Protocol (KServe v2).

- \`${spec.name}/config.pbtxt\`: Triton's configuration (ONNX Runtime backend, batches of up to ${spec.maxBatch},
  dynamic batching, ${spec.instances} ${spec.gpu ? 'GPU' : 'CPU'} instance${spec.instances === 1 ? '' : 's'});
- \`${spec.name}/1/model.onnx\`: the graph, version 1;
- \`inferenceservice.yaml\`: the KServe InferenceService.

Inputs: ${spec.signature.inputs.map(tensor).join(', ')}; output: ${tensor({ ...spec.signature.logits, dims: [-1, -1, spec.labels] })}
(-1: any size; the first dimension is the batch).

## On one machine

From this folder:

\`\`\`sh
tritonserver --model-repository "$PWD"
# or in NVIDIA's container:
docker run --rm -p 8000:8000 -p 8001:8001 -v "$PWD":/models nvcr.io/nvidia/tritonserver:<YY.MM>-py3 tritonserver --model-repository /models
curl -f localhost:8000/v2/models/${spec.name}/ready
\`\`\`

## On a Kubernetes cluster with KServe

Copy this folder where the cluster can read it (a PersistentVolumeClaim, S3, GCS), set \`storageUri\` in
\`inferenceservice.yaml\` to that place (now \`${spec.storageUri}\`), then:

\`\`\`sh
kubectl apply -f inferenceservice.yaml
kubectl get inferenceservice ${spec.name}     # READY True, and its URL
\`\`\`

The model answers at \`URL/v2/models/${spec.name}/infer\`.
`;
}
