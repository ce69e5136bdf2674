/**
 * A real Triton Inference Server on 127.0.0.1 — the tritonserver binary of TRITON_VENV's nvidia-pytriton wheel —
 * serving a repository `bioner export-serving` wrote, with only its backend swapped for triton_onnx_model.py.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bioner, freePorts, ROOT } from './fixtures';
import { startServer, underTest, type InferenceServerUnderTest, type RunningServer, type ServedModel, type ServerKind } from './inferenceServers';
import { TRITON_VENV } from './servingVenv';

const PYTHON_VERSION = path.basename(TRITON_VENV.python!).replace(/^python/, '');
const TRITON_DIST = path.join(TRITON_VENV.dir, 'lib', `python${PYTHON_VERSION}`, 'site-packages', 'pytriton', 'tritonserver');
const TRITONSERVER = path.join(TRITON_DIST, 'bin', 'tritonserver');
const MODEL_SCRIPT = path.join(ROOT, 'test', 'support', 'triton_onnx_model.py');

export const TRITON: ServerKind = { name: 'triton', venv: TRITON_VENV, start: servedByTriton };

/** `model` exported by `bioner export-serving`, as a user would, and served by Triton from a folder removed at the end. */
async function servedByTriton(model: ServedModel): Promise<InferenceServerUnderTest> {
  const work = mkdtempSync(path.join(tmpdir(), 'bioner-triton-'));
  const cleanUp = () => rmSync(work, { recursive: true, force: true });
  try {
    const exported = path.join(work, 'exported');
    const run = bioner('export-serving', model.folder, '--out', exported, '--name', model.name, '--max-batch', String(model.maxBatch));
    if (run.status !== 0) throw new Error(`bioner export-serving failed: ${run.stderr}`);
    const repository = path.join(work, 'repository');
    pythonBackendRepository(exported, repository);
    return await underTest(TRITON.name, model, () => startTriton(repository), (name) => `Request for unknown model: '${name}' is not found`, cleanUp);
  } catch (error) {
    cleanUp();
    throw error;
  }
}

/** The inferences Triton has run for `model` so far, from its statistics: the requests did reach it. */
export async function tritonInferences(server: Pick<RunningServer, 'rest'>, model: string): Promise<number> {
  const stats = (await (await fetch(`${server.rest}/v2/models/${model}/stats`)).json()) as { model_stats: { inference_count: number }[] };
  return stats.model_stats[0].inference_count;
}

/**
 * Copies the repository `exported` into `into`, every model in it served by the Python backend: its config names
 * backend "python" instead of the ONNX Runtime backend, and its version 1 holds model.py beside model.onnx. Nothing else
 * changes (batching, instances, inputs and outputs stay as exported): the Python backend needs no other setting, and
 * runs KIND_CPU and KIND_GPU instances alike.
 */
function pythonBackendRepository(exported: string, into: string): void {
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
async function startTriton(repository: string): Promise<RunningServer> {
  const [http, grpc] = await freePorts(2);
  const backends = pythonBackendDirectory();
  const removeBackends = () => rmSync(backends, { recursive: true, force: true });
  const args = [
    '--model-repository', repository,
    '--backend-directory', backends,
    // Strict model config: Triton and the backend take config.pbtxt as written, completing nothing.
    '--disable-auto-complete-config',
    '--allow-metrics', 'false',
    '--http-address', '127.0.0.1', '--http-port', String(http),
    '--grpc-address', '127.0.0.1', '--grpc-port', String(grpc),
    // As pytriton does: a shared-memory prefix of this server's own, so that servers side by side never share regions.
    `--backend-config=python,shm-region-prefix-name=bioner-triton-${process.pid}-${http}_`,
  ];
  // The stub embeds Python, which finds its prefix from the first python3 on PATH: the venv's, with onnxruntime.
  const env = { ...process.env, PATH: `${path.join(TRITON_VENV.dir, 'bin')}${path.delimiter}${process.env.PATH}` };
  try {
    const triton = await startServer('tritonserver', TRITONSERVER, args, { http, grpc }, env);
    void triton.exited.then(removeBackends);
    return triton;
  } catch (error) {
    removeBackends();
    throw error;
  }
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
