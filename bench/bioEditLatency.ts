/**
 * Edit-to-diagnostics latency of a large BIO file through the language server, without a model: the shared
 * corpora's train files concatenated to MB megabytes, opened, then edited at seeded random places; each edit's
 * time runs from sending didChange to the diagnostics of that version. The last version's diagnostics must equal
 * those a fresh server publishes for the final text.
 *   node --import tsx bench/bioEditLatency.ts [MB] [EDITS]
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startServer, type ServerSession } from '../test/support/lspClient';
import { sharedCorpusFiles } from '../test/support/fixtures';
import { Random } from '../test/support/random';

const megabytes = Number(process.argv[2] ?? 20);
const editCount = Number(process.argv[3] ?? 60);
/** No model (a missing folder) and no corpus index: the file's own checks alone. */
const CONFIGURATION = { modelPath: '/nonexistent/bioner-model', maxFileSizeMB: Math.max(50, megabytes * 2), corpus: { enabled: false } };
const URI = 'file:///bench/large.bio';

function largeText(): string {
  const parts = sharedCorpusFiles()
    .filter((file) => file.endsWith('train.tsv'))
    .map((file) => readFileSync(file, 'utf8'));
  if (parts.length === 0) throw new Error('no train.tsv under the shared data folder');
  const chunks: string[] = [];
  let length = 0;
  for (let i = 0; length < megabytes * 1024 * 1024; i++) {
    const part = parts[i % parts.length];
    chunks.push(part.endsWith('\n') ? part : part + '\n');
    length += part.length;
  }
  return chunks.join('');
}

interface Edit {
  kind: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

/** One edit of a kind typing makes, at a random token line. */
function randomEdit(rng: Random, lines: string[]): Edit {
  let line = rng.int(lines.length);
  while (!lines[line].includes('\t')) line = rng.int(lines.length);
  const text = lines[line];
  const tab = text.lastIndexOf('\t') + 1;
  const at = (character: number) => ({ line, character });
  const kinds: (() => Edit)[] = [
    () => ({ kind: 'tag letter', range: { start: at(tab), end: at(tab + 1) }, text: text[tab] === 'O' ? 'B' : 'O' }),
    () => ({ kind: 'B-X to I-X', range: { start: at(tab), end: at(tab + 1) }, text: text[tab] === 'B' ? 'I' : 'B' }),
    () => ({ kind: 'word character', range: { start: at(1), end: at(1) }, text: 'x' }),
    () => ({ kind: 'delete line', range: { start: at(0), end: { line: line + 1, character: 0 } }, text: '' }),
    () => ({ kind: 'insert line', range: { start: at(0), end: at(0) }, text: `${text}\n` }),
    () => ({ kind: 'split sentence', range: { start: at(0), end: at(0) }, text: '\n' }),
    () => ({ kind: 'new label', range: { start: at(tab), end: at(text.length) }, text: rng.pick(['B-Chemcal', 'B-NewLabel', 'I-Protien']) }),
    () => ({ kind: 'malformed tag', range: { start: at(tab), end: at(tab + 1) }, text: 'b' }),
  ];
  return rng.pick(kinds)();
}

/** Applies an edit to the lines, as the server's copy of the document sees it. */
function apply(lines: string[], edit: Edit): void {
  const { start, end } = edit.range;
  const joined = lines[start.line].slice(0, start.character) + edit.text + (lines[end.line] ?? '').slice(end.character);
  lines.splice(start.line, end.line - start.line + 1, ...joined.split('\n'));
}

async function openAndWait(server: ServerSession, text: string): Promise<{ ms: number; diagnostics: unknown[] }> {
  const started = performance.now();
  const published = server.diagnostics(URI, 1);
  server.open(URI, text);
  const { diagnostics } = await published;
  return { ms: performance.now() - started, diagnostics };
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

async function main(): Promise<void> {
  const text = largeText();
  const lines = text.split('\n');
  const server = await startServer({ configuration: CONFIGURATION });
  const open = await openAndWait(server, text);
  console.log(`${(text.length / 1024 / 1024).toFixed(1)} MB, ${lines.length} lines: first diagnostics after ${open.ms.toFixed(0)} ms (${open.diagnostics.length} diagnostics)`);
  const rng = new Random(20260901);
  const latencies: { kind: string; ms: number }[] = [];
  let last: unknown[] = [];
  for (let version = 2; version < editCount + 2; version++) {
    const edit = randomEdit(rng, lines);
    apply(lines, edit);
    const published = server.diagnostics(URI, version);
    const started = performance.now();
    server.edit(URI, version, edit.range, edit.text);
    last = (await published).diagnostics;
    latencies.push({ kind: edit.kind, ms: performance.now() - started });
  }
  const rss = rssMB(server.process.pid!);
  await server.stop();

  const fresh = await startServer({ configuration: CONFIGURATION });
  const expected = await openAndWait(fresh, lines.join('\n'));
  await fresh.stop();
  assert.deepEqual(last, expected.diagnostics, 'the diagnostics after the edits differ from a fresh open of the final text');

  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
  const slowest = [...latencies].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log(
    `${latencies.length} edits, didChange to diagnostics: median ${percentile(sorted, 0.5).toFixed(1)} ms, p95 ${percentile(sorted, 0.95).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`,
  );
  console.log(`slowest: ${slowest.map((l) => `${l.kind} ${l.ms.toFixed(1)} ms`).join(', ')}`);
  console.log(`server RSS after the edits: ${rss} MB; final diagnostics equal a fresh open's (${last.length})`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
