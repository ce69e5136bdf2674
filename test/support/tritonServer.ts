/**
 * A real Triton Inference Server on 127.0.0.1 — the tritonserver binary of TRITON_VENV's nvidia-pytriton wheel —
 * serving a repository `bioner export-serving` wrote, with only its backend swapped for triton_onnx_model.py.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from './fixtures';
import { TRITON_VENV } from './servingVenv';

const PYTHON_VERSION = path.basename(TRITON_VENV.python!).replace(/^python/, '');
const TRITON_DIST = path.join(TRITON_VENV.dir, 'lib', `python${PYTHON_VERSION}`, 'site-packages', 'pytriton', 'tritonserver');
const TRITONSERVER = path.join(TRITON_DIST, 'bin', 'tritonserver');
const MODEL_SCRIPT = path.join(ROOT, 'test', 'support', 'triton_onnx_model.py');
/** Loading the model starts a Python stub that imports onnxruntime: seconds, but a loaded machine may take longer. */
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 100;

export interface Triton {
  /** The HTTP/REST endpoint, e.g. http://127.0.0.1:8000. */
  rest: string;
  /** The gRPC endpoint as `--endpoint URL --protocol grpc` takes it, e.g. http://127.0.0.1:8001. */
  grpc: string;
  /** Stops the server as SIGTERM does (in-flight requests finish, models unload); resolves once it has exited. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): void;
  /** Everything it has printed so far. */
  log(): string;
}

/** A port free now on 127.0.0.1 (Triton, like KServe, takes a port number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/**
 * Copies the repository `exported` into `into`, every model in it served by the Python backend: its config names
 * backend "python" instead of the ONNX Runtime backend, and its version 1 holds model.py beside model.onnx. Nothing else
 * changes (batching, instances, inputs and outputs stay as exported): the Python backend needs no other setting, and
 * runs KIND_CPU and KIND_GPU instances alike.
 */
export function pythonBackendRepository(exported: string, into: string): void {
  cpSync(exported, into, { recursive: true });
  for (const name of readdirSync(into)) {
    const config = path.join(into, name, 'config.pbtxt');
    if (!existsSync(config)) continue;
    writeFileSync(config, pythonBackendConfig(readFileSync(config, 'utf8'), config));
    cpSync(MODEL_SCRIPT, path.join(into, name, '1', 'model.py'));
  }
}

/** `config` with the Python backend instead of ONNX Runtime's, named by platform (as export-serving does) or by backend. */
function pythonBackendConfig(config: string, file: string): string {
  const swapped = config.replace(/^(platform: "onnxruntime_onnx"|backend: "onnxruntime")$/m, 'backend: "python"');
  if (swapped === config) throw new Error(`${file} names no ONNX Runtime backend to swap for the Python backend`);
  return swapped;
}

/** Starts tritonserver on `repository` with strict model configs; resolves once the server and its models are ready. */
export async function startTriton(repository: string): Promise<Triton> {
  const http = await freePort();
  const grpc = await freePort();
  const backends = pythonBackendDirectory();
  const child = spawn(
    TRITONSERVER,
    [
      '--model-repository', repository,
      '--backend-directory', backends,
      // Strict model config: Triton and the backend take config.pbtxt as written, completing nothing.
      '--disable-auto-complete-config',
      '--allow-metrics', 'false',
      '--http-address', '127.0.0.1', '--http-port', String(http),
      '--grpc-address', '127.0.0.1', '--grpc-port', String(grpc),
      // As pytriton does: a shared-memory prefix of this server's own, so that servers side by side never share regions.
      `--backend-config=python,shm-region-prefix-name=bioner-triton-${process.pid}-${http}_`,
    ],
    // The stub embeds Python, which finds its prefix from the first python3 on PATH: the venv's, with onnxruntime.
    { env: { ...process.env, PATH: `${path.join(TRITON_VENV.dir, 'bin')}${path.delimiter}${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  // Read to the end (not only until ready), so that a full pipe never stalls the server.
  const read = (chunk: Buffer) => (log += chunk.toString());
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(String(code ?? signal)));
    child.on('error', (error) => resolve(error.message)); // it could not start, e.g. the venv lacks the binary
  });
  void exited.then(() => rmSync(backends, { recursive: true, force: true }));
  const rest = `http://127.0.0.1:${http}`;
  try {
    await untilReady(rest, exited, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    rest,
    grpc: `http://127.0.0.1:${grpc}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    kill: () => {
      child.kill('SIGKILL');
    },
    log: () => log,
  };
}

/**
 * A backend directory for the Python backend as pytriton lays it out: the wheel's backend with the stub built for the
 * venv's Python beside it. Links, not copies, so that the stub's $ORIGIN rpath still finds the wheel's libraries.
 */
function pythonBackendDirectory(): string {
  const backends = mkdtempSync(path.join(tmpdir(), 'bioner-triton-backends-'));
  const python = path.join(backends, 'python');
  mkdirSync(python);
  const files = [
    path.join(TRITON_DIST, 'backends', 'python', 'libtriton_python.so'),
    path.join(TRITON_DIST, 'backends', 'python', 'triton_python_backend_utils.py'),
    path.join(TRITON_DIST, 'python_backend_stubs', PYTHON_VERSION, 'triton_python_backend_stub'),
  ];
  for (const file of files) symlinkSync(file, path.join(python, path.basename(file)));
  return backends;
}

/**
 * Resolves once GET /v2/health/ready answers 200 (the server and every model ready); throws with the log's tail when
 * tritonserver exits first or is not ready in time. Polled: Triton says when its HTTP service starts, but before the
 * socket accepts connections.
 */
async function untilReady(rest: string, exited: Promise<string>, log: () => string): Promise<void> {
  let exit: string | undefined;
  void exited.then((how) => (exit = how));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (last !== '200') {
    if (exit !== undefined) throw new Error(`tritonserver exited (${exit}) before it was ready:\n${logTail(log())}`);
    if (Date.now() > deadline) throw new Error(`tritonserver was not ready within ${READY_TIMEOUT_MS / 1000} s (GET /v2/health/ready: ${last}):\n${logTail(log())}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    last = await fetch(`${rest}/v2/health/ready`).then((response) => String(response.status), (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message));
  }
}

/** The log's last lines without Triton's status tables, which would push the error out of sight. */
function logTail(log: string): string {
  return log.split('\n').filter((line) => !/^([|+]|\s*$)/.test(line)).slice(-20).join('\n');
}
