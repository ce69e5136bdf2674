/**
 * A KServe InferenceService (serving.kserve.io/v1beta1) that serves a Triton model repository with KServe's Triton
 * runtime over the Open Inference Protocol (v2), so that the exported folder deploys as it is.
 */

export interface KServeOptions {
  /** The InferenceService's name, which is also the Triton model's. */
  name: string;
  /** Where the cluster finds the model repository: the only line a user has to edit. */
  storageUri: string;
  /** Triton instances of the model: each gets its own share of CPU and memory. */
  instances: number;
  gpu: boolean;
}

/** Per Triton instance; KServe's own default for a predictor is 1 CPU and 2 GiB. */
const CPUS_PER_INSTANCE = 1;
const GIB_PER_INSTANCE = 2;

export function inferenceServiceManifest(options: KServeOptions): string {
  // Requests equal to limits: the pod gets Guaranteed QoS, so its latency does not depend on its neighbours.
  const resources = [`cpu: "${CPUS_PER_INSTANCE * options.instances}"`, `memory: "${GIB_PER_INSTANCE * options.instances}Gi"`, ...(options.gpu ? ['nvidia.com/gpu: "1"'] : [])];
  const block = (indent: string) => resources.map((line) => `${indent}${line}`).join('\n');
  return `# KServe InferenceService for the Triton model repository in this folder, written by bioner export-serving.
# Copy the folder where the cluster can read it and set storageUri to that place (pvc://CLAIM/PATH, s3://BUCKET/PATH,
# gs://BUCKET/PATH), then: kubectl apply -f inferenceservice.yaml
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ${JSON.stringify(options.name)}
spec:
  predictor:
    model:
      modelFormat:
        name: triton
      protocolVersion: v2
      storageUri: ${JSON.stringify(options.storageUri)}
      resources:
        requests:
${block('          ')}
        limits:
${block('          ')}
`;
}
