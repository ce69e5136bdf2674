/**
 * `bioner annotate --endpoint URL` against a real Triton Inference Server (tritonserver 2.51 from the nvidia-pytriton
 * wheel) serving the repository `bioner export-serving` wrote, its ONNX Runtime backend swapped for a Python-backend
 * model that runs the graph with onnxruntime: Triton loads the exported config as it is, and the labels are the local
 * ones byte for byte.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { installPeer, isUnreachable } from '../../bench/peerVenv';
import { bioner, EXCERPTS, ROOT, TEST_MODEL } from '../support/fixtures';
import { TRITON_VENV } from '../support/servingVenv';
import { pythonBackendRepository, startTriton, type Triton } from '../support/tritonServer';

const [BC5CDR] = EXCERPTS;
/** Not the model folder's name, so that the requests reach Triton's model by --model-name only. */
const NAME = 'bc5cdr-test';

const work = mkdtempSync(path.join(tmpdir(), 'bioner-triton-'));
let unreachable: string | undefined;
let triton: Triton;
let startupMs: number;

before(async () => {
  const failure = installPeer(TRITON_VENV);
  if (failure && !isUnreachable(failure)) throw new Error(failure);
  unreachable = failure && `PyPI is unreachable, so ${TRITON_VENV.name} cannot be installed`;
  if (unreachable) return;
  const exported = path.join(work, 'exported');
  const run = bioner('export-serving', TEST_MODEL, '--out', exported, '--name', NAME);
  assert.equal(run.status, 0, run.stderr);
  const repository = path.join(work, 'repository');
  pythonBackendRepository(exported, repository);
  const started = Date.now();
  triton = await startTriton(repository);
  startupMs = Date.now() - started;
});

after(() => {
  triton?.kill();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the built CLI without blocking this process, which keeps reading Triton's output meanwhile. */
function spawnBioner(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  const body = await response.text();
  assert.equal(response.status, 200, `GET ${url}: ${body}`);
  return JSON.parse(body);
}

const annotate = (...args: string[]) => spawnBioner('annotate', BC5CDR, '--model', TEST_MODEL, ...args);

test('Triton loads the exported repository: server and model ready, with the exported tensors and batching', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const server = await getJson(`${triton.rest}/v2`);
  t.diagnostic(`tritonserver ${server.version}, ready ${(startupMs / 1000).toFixed(1)} s after its start`);
  assert.equal((await fetch(`${triton.rest}/v2/health/ready`)).status, 200);
  assert.equal((await fetch(`${triton.rest}/v2/models/${NAME}/ready`)).status, 200);
  const metadata = await getJson(`${triton.rest}/v2/models/${NAME}`);
  const tensors = (list: { name: string; datatype: string }[]) => list.map(({ name, datatype }) => `${name} ${datatype}`);
  assert.deepEqual(tensors(metadata.inputs), ['input_ids INT64', 'attention_mask INT64']);
  assert.deepEqual(tensors(metadata.outputs), ['logits FP32']);
  const config = await getJson(`${triton.rest}/v2/models/${NAME}/config`);
  assert.equal(config.backend, 'python');
  assert.equal(config.max_batch_size, 64);
  assert.ok(config.dynamic_batching, 'dynamic batching as exported');
});

test('annotate --endpoint TRITON --model-name NAME prints the local output byte for byte', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const [local, remote] = await Promise.all([annotate(), annotate('--endpoint', triton.rest, '--model-name', NAME)]);
  assert.equal(local.status, 0, local.stderr);
  assert.equal(remote.status, 0, `${remote.stderr}\n${triton.log().slice(-3000)}`);
  assert.equal(remote.stdout, local.stdout);
  // Triton's own count: the requests reached the served model, not a local fallback.
  const [stats] = (await getJson(`${triton.rest}/v2/models/${NAME}/stats`)).model_stats;
  assert.ok(stats.inference_stats.success.count > 0, 'Triton answered inference requests');
  t.diagnostic(`${stats.inference_stats.success.count} requests in ${stats.execution_count} executions of the model`);
});

test('an unknown --model-name: exit 2 with a message naming the model', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const run = await annotate('--endpoint', triton.rest, '--model-name', 'no-such-model');
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /^bioner: the inference server at http:\/\/127\.0\.0\.1:\d+ serves no model 'no-such-model' \(404: /m);
});
