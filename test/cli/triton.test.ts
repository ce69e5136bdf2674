/**
 * A real Triton Inference Server (tritonserver 2.51 from the nvidia-pytriton wheel) loads the repository `bioner
 * export-serving` wrote as it is, its ONNX Runtime backend swapped for a Python-backend model that runs the graph with
 * onnxruntime: ready, with the exported tensors, batching and batch limit, and every request `bioner` reports reaches
 * it. What Triton answers, as every server of the shared suite, is tested in remote.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXCERPTS, TEST_MODEL } from '../support/fixtures';
import { runBioner, SERVED_TEST_MODEL, unavailable, type InferenceServerUnderTest } from '../support/inferenceServers';
import { TRITON } from '../support/tritonServer';

const [BC5CDR] = EXCERPTS;
const { name: NAME, maxBatch: MAX_BATCH } = SERVED_TEST_MODEL;

let skip: string | undefined;
let triton: InferenceServerUnderTest;
let startupMs: number;

before(async () => {
  skip = unavailable(TRITON.venv);
  if (skip) return;
  const started = Date.now();
  triton = await TRITON.start(SERVED_TEST_MODEL);
  startupMs = Date.now() - started;
});

after(() => triton?.stop());

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  const body = await response.text();
  assert.equal(response.status, 200, `GET ${url}: ${body}`);
  return JSON.parse(body);
}

test('Triton loads the exported repository: server and model ready, with the exported tensors, batching and batch limit', async (t) => {
  if (skip) return t.skip(skip);
  const server = await getJson(`${triton.rest}/v2`);
  t.diagnostic(`tritonserver ${server.version}, ready ${(startupMs / 1000).toFixed(1)} s after the export began`);
  assert.equal((await fetch(`${triton.rest}/v2/health/ready`)).status, 200);
  assert.equal((await fetch(`${triton.rest}/v2/models/${NAME}/ready`)).status, 200);
  const metadata = await getJson(`${triton.rest}/v2/models/${NAME}`);
  const tensors = (list: { name: string; datatype: string }[]) => list.map(({ name, datatype }) => `${name} ${datatype}`);
  assert.deepEqual(tensors(metadata.inputs), ['input_ids INT64', 'attention_mask INT64']);
  assert.deepEqual(tensors(metadata.outputs), ['logits FP32']);
  const config = await getJson(`${triton.rest}/v2/models/${NAME}/config`);
  assert.equal(config.backend, 'python');
  assert.equal(config.max_batch_size, MAX_BATCH);
  assert.ok(config.dynamic_batching, 'dynamic batching as exported');
});

test("Triton's own statistics count every request annotate --endpoint reports: none was answered elsewhere", async (t) => {
  if (skip) return t.skip(skip);
  const run = await runBioner('annotate', BC5CDR, '--model', TEST_MODEL, '--endpoint', triton.rest, '--model-name', NAME, '--max-batch', String(MAX_BATCH));
  assert.equal(run.status, 0, `${run.stderr}\n${triton.log().slice(-3000)}`);
  const requests = Number(/, (\d+) requests, 0 retries, /.exec(run.stderr)?.[1]);
  const [stats] = (await getJson(`${triton.rest}/v2/models/${NAME}/stats`)).model_stats;
  assert.equal(Number(stats.inference_stats.success.count), requests, run.stderr);
  t.diagnostic(`${requests} requests in ${stats.execution_count} executions of the model`);
});
