/**
 * `npm run bench:remote`: `bioner annotate` of BC5CDR test with the default model on this machine, and with its graph
 * on real Open Inference Protocol servers on 127.0.0.1 — Triton serving the repository `bioner export-serving` writes
 * (as exported: 1 instance, max batch 64; the Python-backend stand-in of test/support/tritonServer.ts) and KServe's
 * ModelServer (test/support/inferenceServers.ts) — over REST with binary and JSON tensors and over gRPC, 1 and 4
 * requests in flight; every remote output must equal the local one. Then Triton's requests/s for one 32×64 batch of
 * the test model, 4 in flight, over gRPC and REST binary (RemoteGraph alone, no CLI).
 *   remote.ts [--model DIR] [--data FILE.tsv] [--seconds S]
 * Prints Markdown tables. The servers share this machine's cores with the client: the figures compare transports and
 * servers, they do not measure a server's capacity.
 */
import * as path from 'node:path';
import { parseArgs } from '../server/src/cli/args';
import type { Protocol } from '../server/src/core/ner/inferenceTransport';
import { RemoteGraph } from '../server/src/core/ner/remoteGraph';
import { readGraphSignature } from '../server/src/core/serving/graphSignature';
import { DEFAULT_MODEL, SHARED_DATA, TEST_MODEL } from '../test/support/fixtures';
import { KSERVE, runBioner, TRANSPORTS, unavailable, type InferenceServerUnderTest, type ServedModel, type ServerKind, type Transport } from '../test/support/inferenceServers';
import { TRITON } from '../test/support/tritonServer';

const args = parseArgs(process.argv.slice(2), { values: ['model', 'data', 'seconds'], flags: [] }).values;
const MODEL = args.model ?? DEFAULT_MODEL;
const DATA = args.data ?? path.join(SHARED_DATA, 'BC5CDR', 'test.tsv');
/** How long each transport of the batch measure runs. */
const SECONDS = Number(args.seconds ?? 10);
const IN_FLIGHT = [4, 1];
/** The batch of the measure: 32 windows of 64 sub-words, 4 requests in flight. */
const BATCH = { rows: 32, sequence: 64, inFlight: 4 };
/** export-serving's default batch limit, which is also the client's. */
const MAX_BATCH = 64;

/** The transports each server is measured over. */
const TRANSPORTS_OF = new Map<ServerKind, Transport[]>([
  [TRITON, ['REST, binary tensors', 'REST, JSON tensors', 'gRPC, raw tensors']],
  [KSERVE, ['REST, binary tensors', 'gRPC, raw tensors']],
]);

interface Row {
  run: string;
  inFlight: number | '';
  wordsPerSecond: number;
  requests?: number;
  /** Whether the output equals the local one (undefined for the local run itself). */
  same?: boolean;
}

async function main(): Promise<void> {
  console.log(`bench:remote: ${path.relative(process.cwd(), DATA)} with ${path.relative(process.cwd(), MODEL)}`);
  const local = await annotate();
  const [, speed, device] = /\((\d+) tokens\/s on (\S+)\)/.exec(local.stderr) ?? [];
  const localSpeed = Number(speed);
  const words = local.stdout.trim().split('\n').reduce((n, line) => n + JSON.parse(line).tokens.length, 0);
  const rows: Row[] = [{ run: `local (${device})`, inFlight: '', wordsPerSecond: localSpeed }];
  const model: ServedModel = { folder: MODEL, name: 'bench-model', maxBatch: MAX_BATCH };
  for (const [kind, transports] of TRANSPORTS_OF) {
    const skip = unavailable(kind.venv);
    if (skip) console.log(`bench:remote: ${kind.name} skipped: ${skip}`);
    else await withServer(kind, model, async (server) => rows.push(...(await remoteRuns(server, transports, local.stdout))));
  }
  printRuns(rows, words, localSpeed);
  const batches = unavailable(TRITON.venv) ? undefined : await withServer(TRITON, { folder: TEST_MODEL, name: 'test-model', maxBatch: MAX_BATCH }, batchRequestsPerSecond);
  if (batches) printBatches(batches);
  if (rows.some((row) => row.same === false)) {
    console.error('bench:remote: a remote output differs from the local one');
    process.exitCode = 1;
  }
}

/** `bioner annotate DATA` in JSON lines with `extra` options; throws when it fails. */
async function annotate(...extra: string[]) {
  const run = await runBioner('annotate', DATA, '--model', MODEL, '--format', 'jsonl', ...extra);
  if (run.status !== 0) throw new Error(`bioner annotate ${extra.join(' ')} failed (${run.status}):\n${run.stderr}`);
  return run;
}

/** Runs `body` with a server of `kind` serving `model`, stopped afterwards whatever happens. */
async function withServer<T>(kind: ServerKind, model: ServedModel, body: (server: InferenceServerUnderTest) => Promise<T>): Promise<T> {
  const server = await kind.start(model);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** Every transport at every number of requests in flight, one run at a time, each output compared with the local one. */
async function remoteRuns(server: InferenceServerUnderTest, transports: readonly Transport[], expected: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const inFlight of IN_FLIGHT) {
    for (const transport of transports) {
      const run = await annotate(...TRANSPORTS[transport](server), '--model-name', server.model.name, '--concurrency', String(inFlight));
      const summary = /: (\d+) words\/s, (\d+) requests, \d+ retries, (.+)$/m.exec(run.stderr);
      if (!summary) throw new Error(`no remote summary from ${server.name} over ${transport}:\n${run.stderr}`);
      rows.push({ run: `${server.name}, ${summary[3]}`, inFlight, wordsPerSecond: Number(summary[1]), requests: Number(summary[2]), same: run.stdout === expected });
      console.log(`bench:remote: ${rows.at(-1)!.run}, ${inFlight} in flight: ${summary[1]} words/s`);
    }
  }
  return rows;
}

interface BatchMeasure {
  requestsPerSecond: number;
  /** Requests per execution of the model: what Triton's dynamic batcher merged. */
  requestsPerExecution: number;
  /** The share of the time Triton's model instance spent computing: near 1, the model is the bottleneck, not the transport. */
  busy: number;
}

/**
 * Requests/s of one BATCH over gRPC and REST binary, BATCH.inFlight at a time, for SECONDS each after a warm-up
 * request: the transports' and the server's cost per request with the test model's small graph.
 */
async function batchRequestsPerSecond(server: InferenceServerUnderTest): Promise<Record<string, BatchMeasure>> {
  const { inputs } = await readGraphSignature(path.join(server.model.folder, 'onnx', 'model.onnx'));
  const ids = new BigInt64Array(BATCH.rows * BATCH.sequence).fill(5n);
  const mask = new BigInt64Array(BATCH.rows * BATCH.sequence).fill(1n);
  const measured: Record<string, BatchMeasure> = {};
  for (const [protocol, endpoint] of [['grpc', server.grpc], ['rest', server.rest]] as [Protocol, string][]) {
    const graph = await RemoteGraph.connect({ endpoint, protocol, modelName: server.model.name, inputNames: inputs.map((input) => input.name), concurrency: BATCH.inFlight });
    try {
      await graph.run(ids, mask, BATCH.rows, BATCH.sequence);
      const before = await tritonStats(server);
      const started = performance.now();
      const until = started + SECONDS * 1000;
      let done = 0;
      const sender = async () => {
        while (performance.now() < until) {
          await graph.run(ids, mask, BATCH.rows, BATCH.sequence);
          done++;
        }
      };
      await Promise.all(Array.from({ length: BATCH.inFlight }, sender));
      const seconds = (performance.now() - started) / 1000;
      const after = await tritonStats(server);
      measured[graph.transportDescription] = {
        requestsPerSecond: done / seconds,
        requestsPerExecution: (after.requests - before.requests) / (after.executions - before.executions),
        busy: (after.computeNs - before.computeNs) / 1e9 / seconds,
      };
    } finally {
      await graph.dispose();
    }
  }
  return measured;
}

/** Triton's counts for the served model so far: requests answered, executions of the model, and their time computing. */
async function tritonStats(server: InferenceServerUnderTest): Promise<{ requests: number; executions: number; computeNs: number }> {
  const response = await fetch(`${server.rest}/v2/models/${server.model.name}/stats`);
  const [stats] = ((await response.json()) as { model_stats: TritonModelStats[] }).model_stats;
  return {
    requests: Number(stats.inference_stats.success.count),
    executions: Number(stats.execution_count),
    // Per batch size: the time of each execution once (compute_infer of inference_stats counts it for every request merged into it).
    computeNs: stats.batch_stats.reduce((ns, batch) => ns + Number(batch.compute_infer.ns), 0),
  };
}

/** What bench reads of Triton's statistics extension (numbers come as strings or numbers: uint64). */
interface TritonModelStats {
  execution_count: number | string;
  inference_stats: { success: { count: number | string } };
  batch_stats: { compute_infer: { ns: number | string } }[];
}

/** requests/s over the engine's model time (words ÷ words/s), the time words/s is measured over. */
function printRuns(rows: readonly Row[], words: number, localSpeed: number): void {
  console.log(`\n${words.toLocaleString('en-US')} words; words/s and requests/s over the engine's model time\n`);
  console.log('| run | in flight | words/s | requests | requests/s | × local | output |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    const requestsPerSecond = row.requests === undefined ? '' : Math.round((row.requests * row.wordsPerSecond) / words).toLocaleString('en-US');
    const output = row.same === undefined ? '' : row.same ? 'equal to local' : '**differs**';
    const cells = [row.run, row.inFlight, row.wordsPerSecond.toLocaleString('en-US'), row.requests ?? '', requestsPerSecond, (row.wordsPerSecond / localSpeed).toFixed(2), output];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

function printBatches(measured: Record<string, BatchMeasure>): void {
  console.log(`\nTriton, test model, one ${BATCH.rows}×${BATCH.sequence} batch a request, ${BATCH.inFlight} in flight, ${SECONDS} s each\n`);
  console.log('| transport | requests/s | requests per execution | model instance busy |');
  console.log('|---|---:|---:|---:|');
  for (const [transport, { requestsPerSecond, requestsPerExecution, busy }] of Object.entries(measured)) {
    console.log(`| ${transport} | ${Math.round(requestsPerSecond).toLocaleString('en-US')} | ${requestsPerExecution.toFixed(2)} | ${Math.round(100 * busy)} % |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
