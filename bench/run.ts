/**
 * `npm run bench`: this engine against transformers.js pipeline('token-classification') on the same ONNX model
 * and sentences, each in its own process; then edit latency through the language server.
 *   run.ts [--model DIR] [--data FILE.tsv] [--limit N] [--threads N] [--out FILE.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '@common/settings';
import { readSentences, wordsOf } from '../server/src/core/conll/corpus';
import { parseArgs } from '../server/src/cli/args';
import { repeatSentences } from './note';

const ROOT = path.resolve(__dirname, '..');
const args = parseArgs(process.argv.slice(2), { values: ['model', 'data', 'limit', 'threads', 'out', 'edit-sentences'], flags: [] }).values;
const model = args.model ?? [path.join(ROOT, 'models', 'default'), path.join(ROOT, 'test', 'fixtures', 'model')].find(existsSync)!;
const data = args.data ?? [path.resolve(ROOT, '..', 'shared', 'data', 'BC5CDR', 'test.tsv'), path.join(ROOT, 'test', 'fixtures', 'corpus', 'BC5CDR-test-300.tsv')].find(existsSync)!;
const threads = args.threads ?? '1';
const work = mkdtempSync(path.join(tmpdir(), 'bioner-bench-'));

async function loadSentences(): Promise<string[][]> {
  const sentences = (await readSentences(data, DEFAULT_SETTINGS)).map(wordsOf);
  return args.limit ? sentences.slice(0, Number(args.limit)) : sentences;
}

function runSide(script: string, name: string, ...rest: string[]): Record<string, unknown> {
  const out = path.join(work, `${name}.json`);
  execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...rest.map((r) => (r === 'OUT' ? out : r))], { stdio: 'inherit', cwd: ROOT });
  return JSON.parse(readFileSync(out, 'utf8'));
}

interface Side {
  tokensPerSecond: number;
  seconds: number;
  firstResultMs: number;
  maxRssMB: number;
  labels: (string | null)[][];
  argmax?: Side;
}

async function main(): Promise<void> {
  const sentences = await loadSentences();
  const sentencesFile = path.join(work, 'sentences.json');
  writeFileSync(sentencesFile, JSON.stringify(sentences));
  const tokens = sentences.reduce((n, s) => n + s.length, 0);
  console.log(`bench: ${sentences.length} sentences, ${tokens} tokens from ${data}; model ${model}; ${threads} thread(s)`);
  const engine = runSide('side.ts', 'engine', 'engine', model, sentencesFile, 'OUT', threads) as unknown as Side;
  const peer = runSide('side.ts', 'peer', 'peer', model, sentencesFile, 'OUT', threads) as unknown as Side;
  let compared = 0;
  let disagreements = 0;
  const examples: string[] = [];
  engine.argmax!.labels.forEach((labels, s) =>
    labels.forEach((label, w) => {
      const other = peer.labels[s][w];
      if (other === null) return;
      compared++;
      if (other === label) return;
      disagreements++;
      if (examples.length < 5) examples.push(`sentence ${s + 1} word ${w + 1} '${sentences[s][w]}': engine ${label}, peer ${other}`);
    }),
  );
  const editSentences = Number(args['edit-sentences'] ?? 5000);
  const editSet = repeatSentences(sentences, editSentences);
  const editFile = path.join(work, 'edit-sentences.json');
  writeFileSync(editFile, JSON.stringify(editSet));
  const latency = runSide('editLatency.ts', 'latency', model, editFile, 'OUT') as { firstPassMs: number; editLatencyMs: { median: number; max: number } };
  const summary = {
    date: new Date().toISOString(),
    data: path.relative(ROOT, data),
    model: path.relative(ROOT, model),
    sentences: sentences.length,
    tokens,
    threads: Number(threads),
    engine: { tokensPerSecond: Math.round(engine.tokensPerSecond), argmaxTokensPerSecond: Math.round(engine.argmax!.tokensPerSecond), firstResultMs: Math.round(engine.firstResultMs), maxRssMB: Math.round(engine.maxRssMB) },
    peer: { tokensPerSecond: Math.round(peer.tokensPerSecond), firstResultMs: Math.round(peer.firstResultMs), maxRssMB: Math.round(peer.maxRssMB) },
    throughputRatio: Number((engine.tokensPerSecond / peer.tokensPerSecond).toFixed(2)),
    agreement: { wordsCompared: compared, disagreements, examples },
    server: { sentences: editSentences, firstPassMs: Math.round(latency.firstPassMs), editLatencyMs: latency.editLatencyMs },
  };
  console.log(JSON.stringify(summary, null, 2));
  if (args.out) writeFileSync(args.out, JSON.stringify(summary, null, 2) + '\n');
  if (disagreements > 0) {
    console.error(`bench: the engine and the peer disagree on ${disagreements} of ${compared} words`);
    process.exit(1);
  }
}

void main();
