/**
 * Open Inference Protocol (KServe v2) servers on 127.0.0.1 for the remote-inference tests and bench/remote.ts: one
 * interface for every server under test, so that one suite runs against each, and the transports the CLI reaches them
 * over; what starting any of them takes (free ports, a process whose output is read to its end, readiness); KServe's
 * ModelServer serving a model folder's graph (kserve_onnx_server.py). Triton's side is tritonServer.ts.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { installPeer, isUnreachable, venvPython, type PeerVenv } from '../../bench/peerVenv';
import { freePorts, ROOT, TEST_MODEL } from './fixtures';
import { SERVING_VENV } from './servingVenv';

const KSERVE_SCRIPT = path.join(ROOT, 'test', 'support', 'kserve_onnx_server.py');
/** Loading a model imports onnxruntime (or starts Triton's Python stub): seconds, but a loaded machine may take longer. */
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 100;
/** A CLI run on a busy machine, the default model over a slow transport included. */
const CLI_TIMEOUT_MS = 600_000;

/** A model folder's graph as a server serves it. */
export interface ServedModel {
  /** The model folder (config.json, tokenizer.json, onnx/model.onnx). */
  folder: string;
  /** Its name on the server, as --model-name takes it. */
  name: string;
  /** The most rows one request may hold: the server refuses larger batches. */
  maxBatch: number;
}

/**
 * The test model as the shared suite serves it: under a name other than its folder's, so that requests reach it by
 * --model-name only, and with a batch limit under the engine's 64 rows, so that a client can be made to exceed it.
 */
export const SERVED_TEST_MODEL: ServedModel = { folder: TEST_MODEL, name: 'bc5cdr-test', maxBatch: 8 };

/** A server process on 127.0.0.1, ready to answer. */
export interface RunningServer {
  /** The REST endpoint, e.g. http://127.0.0.1:8000. */
  rest: string;
  /** The gRPC endpoint as `--endpoint URL --protocol grpc` takes it, e.g. http://127.0.0.1:8001. */
  grpc: string;
  /** Stops it as SIGTERM does (in-flight requests finish, models unload); resolves once it has exited. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
  /** Resolves with its exit code or signal, or why it could not start. */
  exited: Promise<string>;
  /** Everything it has printed so far. */
  log(): string;
}

/** One server of the shared suite, which crashes it and starts it again. */
export interface InferenceServerUnderTest {
  /** How test names and reports call it: 'kserve', 'triton'. */
  readonly name: string;
  /** The REST endpoint now: a restart moves it. */
  readonly rest: string;
  /** The gRPC endpoint now: a restart moves it. */
  readonly grpc: string;
  readonly model: ServedModel;
  /** What it answers (after the status) when asked for a model it does not serve. */
  unknownModel(name: string): string;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** A fresh process serving the same model, on new ports (the old ones may linger after a crash). */
  restart(): Promise<void>;
  /** Ends it for good and removes what it used. */
  stop(): Promise<void>;
  log(): string;
}

/** A kind of server: the venv it runs from and how it serves a model. */
export interface ServerKind {
  name: string;
  venv: PeerVenv;
  start(model: ServedModel): Promise<InferenceServerUnderTest>;
}

type Endpoints = Pick<RunningServer, 'rest' | 'grpc'>;

/** The ways `bioner --endpoint` reaches a server, by the names the CLI's summary line gives them, and their options. */
export const TRANSPORTS = {
  'REST, binary tensors': (server: Endpoints) => ['--endpoint', server.rest],
  'REST, JSON tensors': (server: Endpoints) => ['--endpoint', server.rest, '--tensors', 'json'],
  'gRPC, raw tensors': (server: Endpoints) => ['--endpoint', server.grpc, '--protocol', 'grpc'],
};
export type Transport = keyof typeof TRANSPORTS;

export const KSERVE: ServerKind = {
  name: 'kserve',
  venv: SERVING_VENV,
  start: (model) => underTest(KSERVE.name, model, () => startKServe(model), (name) => `Model with name ${name} does not exist.`),
};

/** KServe's ModelServer serving `model`'s graph with onnxruntime; `flags` make it misbehave (kserve_onnx_server.py says how). */
export async function startKServe(model: ServedModel, ...flags: string[]): Promise<RunningServer> {
  const [http, grpc] = await freePorts(2);
  const graph = path.join(model.folder, 'onnx', 'model.onnx');
  const args = [KSERVE_SCRIPT, '--graph', graph, '--model_name', model.name, '--max-batch-size', String(model.maxBatch), '--http_port', String(http), '--grpc_port', String(grpc), ...flags];
  return startServer('the KServe server', venvPython(SERVING_VENV), args, { http, grpc });
}

/** A server under test that `start` starts, and starts again after a crash; `cleanUp` removes what it used, at the end. */
export async function underTest(
  name: string,
  model: ServedModel,
  start: () => Promise<RunningServer>,
  unknownModel: (name: string) => string,
  cleanUp: () => void = () => undefined,
): Promise<InferenceServerUnderTest> {
  let running = await start();
  return {
    name,
    model,
    unknownModel,
    get rest() {
      return running.rest;
    },
    get grpc() {
      return running.grpc;
    },
    kill: () => running.kill(),
    restart: async () => {
      await running.kill();
      running = await start();
    },
    stop: async () => {
      await running.kill();
      cleanUp();
    },
    log: () => running.log(),
  };
}

/** Installs `venv` when need be: undefined once it is ready, the reason to skip when PyPI is unreachable; throws on any other failure. */
export function unavailable(venv: PeerVenv): string | undefined {
  const failure = installPeer(venv);
  if (failure && !isUnreachable(failure)) throw new Error(failure);
  return failure && `PyPI is unreachable, so ${venv.name} cannot be installed`;
}

/**
 * Starts a server listening on 127.0.0.1 at `ports`; resolves once GET /v2/health/ready answers 200 (the server and
 * its models ready), throws with its log's tail when it exits first or is not ready in time. Its output is read to the
 * end, not only until ready, so that a full pipe never stalls it.
 */
export async function startServer(what: string, command: string, args: string[], ports: { http: number; grpc: number }, env?: NodeJS.ProcessEnv): Promise<RunningServer> {
  // Its own process group, signalled whole: Triton's Python-backend stubs outlive a SIGKILL of tritonserver alone,
  // and would hold its output pipes (and this process) open.
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  const read = (chunk: Buffer) => (log += chunk.toString());
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(String(code ?? signal)));
    child.on('error', (error) => resolve(error.message)); // it could not start, e.g. the venv lacks the binary
  });
  const stopBy = (signal: NodeJS.Signals) => async () => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Gone already (or never started).
    }
    await exited;
  };
  const server: RunningServer = {
    rest: `http://127.0.0.1:${ports.http}`,
    grpc: `http://127.0.0.1:${ports.grpc}`,
    stop: stopBy('SIGTERM'),
    kill: stopBy('SIGKILL'),
    exited,
    log: () => log,
  };
  try {
    await untilReady(what, server);
  } catch (error) {
    await server.kill();
    throw error;
  }
  return server;
}

/** Polled: servers say when their HTTP service starts, but before its socket accepts connections. */
async function untilReady(what: string, server: RunningServer): Promise<void> {
  let exit: string | undefined;
  void server.exited.then((how) => (exit = how));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (last !== '200') {
    if (exit !== undefined) throw new Error(`${what} exited (${exit}) before it was ready:\n${logTail(server.log())}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS / 1000} s (GET /v2/health/ready: ${last}):\n${logTail(server.log())}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    last = await fetch(`${server.rest}/v2/health/ready`).then((response) => String(response.status), (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message));
  }
}

/** The log's last lines without status tables (Triton's), which would push the error out of sight. */
function logTail(log: string): string {
  return log.split('\n').filter((line) => !/^([|+]|\s*$)/.test(line)).slice(-20).join('\n');
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI without blocking this process, which keeps reading the servers' output meanwhile. */
export function runBioner(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: CLI_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
