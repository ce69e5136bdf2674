/** Paths and helpers the tests share. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
/** The public corpora beside the checkout; BIONER_DATA points elsewhere (as for scripts/train-default-model.sh). */
export const SHARED_DATA = path.resolve(ROOT, process.env.BIONER_DATA ?? path.join('..', 'shared', 'data'));

/** Every .tsv split of the public corpora beside the checkout; empty when they are not there. */
export function sharedCorpusFiles(): string[] {
  if (!existsSync(SHARED_DATA)) return [];
  return readdirSync(SHARED_DATA, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(SHARED_DATA, d.name)).filter((f) => f.endsWith('.tsv')).map((f) => path.join(SHARED_DATA, d.name, f)));
}

/** The small real model the repository ships for tests (made by training/make_test_model.py). */
export const TEST_MODEL = process.env.BIONER_TEST_MODEL ?? path.join(FIXTURES, 'model');
/** The embedded default model (six corpus heads), made by scripts/train-default-model.sh. */
export const DEFAULT_MODEL = path.join(ROOT, 'models', 'default');
/** The bundled inference worker: tests run `npm run build` first. */
export const WORKER_SCRIPT = path.join(ROOT, 'dist', 'nerWorker.js');

export const EXCERPTS = ['BC5CDR-test-300.tsv', 'JNLPBA-test-300.tsv'].map((f) => path.join(FIXTURES, 'corpus', f));

/** Runs the built CLI (`node dist/cli.js ARGS…`) to its end. */
export function bioner(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Builds a tab-separated BIO text from `token tag` rows; '' rows are sentence breaks. */
export function bio(...rows: string[]): string {
  return rows.map((r) => (r === '' ? '' : r.replace(/ (?=\S+$)/, '\t'))).join('\n') + '\n';
}

/** `count` distinct ports free now on 127.0.0.1 (the servers take port numbers, not 0): probed together, so that none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(Array.from({ length: count }, listeningProbe));
  const ports = probes.map((probe) => (probe.address() as AddressInfo).port);
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}

/** A server listening on a port the system chose. */
function listeningProbe(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => resolve(probe));
    probe.on('error', reject);
  });
}

/** A TCP port free now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}
