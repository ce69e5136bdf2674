/**
 * `bioner annotate|eval --endpoint URL`: the graph run by a real Open Inference Protocol server — KServe's own
 * ModelServer (from PyPI) serving the test model's ONNX graph with onnxruntime (test/support/kserve_onnx_server.py) —
 * gives the local labels word for word and the local scores, in binary and in JSON tensors; a missing model, another
 * model's inputs and a server that dies mid-run end in a clear message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { installPeer, isUnreachable, venvPython } from '../../bench/peerVenv';
import { EXCERPTS, ROOT, TEST_MODEL } from '../support/fixtures';
import { SERVING_VENV } from '../support/servingVenv';

const SERVER_SCRIPT = path.join(ROOT, 'test', 'support', 'kserve_onnx_server.py');
const [BC5CDR] = EXCERPTS;
/** The name `bioner` gives the model by default: its folder's, as export-serving names it. */
const MODEL_NAME = 'model';

interface Server {
  /** REST */
  url: string;
  grpc: string;
  process: ChildProcess;
}

const servers: ChildProcess[] = [];
let unreachable: string | undefined;
/** The model served as it is, with binary tensors refused, and under another input name. */
let plain: Server;
let jsonOnly: Server;
let renamed: Server;

before(async () => {
  const failure = installPeer(SERVING_VENV);
  if (failure && !isUnreachable(failure)) throw new Error(failure);
  unreachable = failure && `PyPI is unreachable, so ${SERVING_VENV.name} cannot be installed`;
  if (unreachable) return;
  [plain, jsonOnly, renamed] = await Promise.all([serve(), serve('--reject-binary'), serve('--rename-input', 'input_ids=ids')]);
});

after(() => {
  for (const server of servers) server.kill('SIGKILL');
});

/** A port free now on 127.0.0.1 (KServe takes a port number, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Starts the KServe stand-in with `flags`; resolves once uvicorn says it listens. */
async function serve(...flags: string[]): Promise<Server> {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const graph = path.join(TEST_MODEL, 'onnx', 'model.onnx');
  const ports = ['--http_port', String(port), '--grpc_port', String(grpcPort)];
  const child = spawn(venvPython(SERVING_VENV), [SERVER_SCRIPT, '--graph', graph, '--model_name', MODEL_NAME, ...ports, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    // The output is read to the end (not only until ready), so that a full pipe never stalls the server.
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      // gRPC starts first.
      if (/Uvicorn running on/.test(log)) resolve();
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`the KServe server exited (${code}) before it was ready:\n${log.slice(-2000)}`)));
  });
  return { url: `http://127.0.0.1:${port}`, grpc: `http://127.0.0.1:${grpcPort}`, process: child };
}

/** Runs the built CLI without blocking this process, which reads the servers' output meanwhile. */
function bioner(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const annotate = (...args: string[]) => bioner('annotate', BC5CDR, '--model', TEST_MODEL, '--format', 'jsonl', ...args);

test('annotate --endpoint gives the local labels and confidences word for word, in binary tensors by default', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const [local, remote] = await Promise.all([annotate(), annotate('--endpoint', plain.url)]);
  assert.equal(local.status, 0, local.stderr);
  assert.equal(remote.status, 0, remote.stderr);
  assert.equal(remote.stdout.split('\n').length, 301, 'one line per sentence');
  assert.equal(remote.stdout, local.stdout);
  assert.match(remote.stderr, /bioner: remote inference at http:\/\/127\.0\.0\.1:\d+ \(model model, REST\): \d+ words\/s, \d+ requests, 0 retries, REST, binary tensors/);
});

test('annotate --endpoint --protocol grpc, and REST with --tensors json, give the local labels and confidences word for word', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const [local, grpc, json] = await Promise.all([annotate(), annotate('--endpoint', plain.grpc, '--protocol', 'grpc'), annotate('--endpoint', plain.url, '--tensors', 'json')]);
  assert.equal(grpc.status, 0, grpc.stderr);
  assert.equal(grpc.stdout, local.stdout);
  assert.match(grpc.stderr, /\(model model, gRPC\): \d+ words\/s, \d+ requests, 0 retries, gRPC, raw tensors\n/);
  assert.equal(json.status, 0, json.stderr);
  assert.equal(json.stdout, local.stdout);
  assert.match(json.stderr, /, REST, JSON tensors\n/);
});

test('annotate --endpoint falls back to JSON tensors when the server refuses binary ones; batches split to --max-batch', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const [local, remote] = await Promise.all([annotate(), annotate('--endpoint', jsonOnly.url, '--max-batch', '8', '--concurrency', '2')]);
  assert.equal(remote.status, 0, remote.stderr);
  assert.equal(remote.stdout, local.stdout);
  assert.match(remote.stderr, /, REST, JSON tensors\n/);
});

test('eval --endpoint gives the local scores', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const [local, remote] = await Promise.all([bioner('eval', BC5CDR, '--model', TEST_MODEL, '--json'), bioner('eval', BC5CDR, '--model', TEST_MODEL, '--json', '--endpoint', plain.url)]);
  assert.equal(remote.status, 0, remote.stderr);
  assert.deepEqual(JSON.parse(remote.stdout), JSON.parse(local.stdout));
});

test('an unknown model name: exit 2 and the server’s 404, naming --model-name', async (t) => {
  if (unreachable) return t.skip(unreachable);
  const run = await annotate('--endpoint', plain.url, '--model-name', 'bc5cdr');
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^bioner: the inference server at http:\/\/127\.0\.0\.1:\d+ serves no model 'bc5cdr' \(404: Model with name bc5cdr does not exist\.\)$/m);
  const overGrpc = await annotate('--endpoint', plain.grpc, '--protocol', 'grpc', '--model-name', 'bc5cdr');
  assert.equal(overGrpc.status, 2);
  assert.match(overGrpc.stderr, /^bioner: the inference server at http:\/\/127\.0\.0\.1:\d+ serves no model 'bc5cdr' \(NOT_FOUND: Model with name bc5cdr does not exist\.\)$/m);
});

test("a served model with other inputs than the model folder's graph: exit 2, both lists of inputs", async (t) => {
  if (unreachable) return t.skip(unreachable);
  const run = await annotate('--endpoint', renamed.url);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /serves 'model' with inputs attention_mask \(INT64\), ids \(INT64\), but the model folder's graph takes attention_mask \(INT64\), input_ids \(INT64\): is it another model\?/);
});

test('a server that dies mid-run: exit 2 after the retries, with the reason, not a hang', async (t) => {
  if (unreachable) return t.skip(unreachable);
  // It answers the engine's probe and a few batches, then exits as a killed server would.
  const dying = await serve('--exit-after', '5');
  const started = Date.now();
  const run = await annotate('--endpoint', dying.url);
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /bioner: the inference server at http:\/\/127\.0\.0\.1:\d+ did not answer POST \/v2\/models\/model\/infer: \S+ \(after 3 retries\)/);
  assert.ok(Date.now() - started < 30_000, 'it gives up within seconds');
  const dyingGrpc = await serve('--exit-after', '5');
  const overGrpc = await annotate('--endpoint', dyingGrpc.grpc, '--protocol', 'grpc');
  assert.equal(overGrpc.status, 2, overGrpc.stderr);
  assert.match(overGrpc.stderr, /bioner: the inference server at 127\.0\.0\.1:\d+ did not answer ModelInfer: .+ \(after 3 retries\)/);
});

test('no server at the endpoint: exit 2 with the connection error; a bad URL or --concurrency without --endpoint is a usage error', async () => {
  const port = await freePort();
  const none = await annotate('--endpoint', `http://127.0.0.1:${port}`);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /did not answer GET \/v2\/health\/ready: ECONNREFUSED \(after 3 retries\)/);
  const badUrl = await annotate('--endpoint', 'localhost:8000');
  assert.match(badUrl.stderr, /--endpoint: 'localhost:8000' is not an http\(s\) URL/);
  const stray = await annotate('--concurrency', '2');
  assert.match(stray.stderr, /--concurrency needs --endpoint URL/);
});
