/**
 * `npm run bench`: this engine against transformers.js pipeline('token-classification') on the same ONNX model
 * and sentences, and against spaCy's NER trained on BC5CDR (bench/spacyPeer.ts), each in its own process, with
 * entity F1 against the data file's gold tags; then edit latency through the language server. The engine's real
 * path also runs the int8 graph (bioner.useQuantized) when the folder has one.
 *   run.ts [--model DIR] [--data FILE.tsv] [--limit N] [--threads N] [--out FILE.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '@common/settings';
import { readSentences, wordsOf } from '../server/src/core/conll/corpus';
import { tagOf } from '../server/src/core/conll/reader';
import type { TagSequence } from '../server/src/core/conll/sequence';
import { parseTag } from '../server/src/core/conll/tags';
import { evaluate } from '../server/src/core/eval/score';
import { parseArgs } from '../server/src/cli/args';
import { repeatSentences } from './note';
import { runSpacyPeer } from './spacyPeer';

const ROOT = path.resolve(__dirname, '..');
const args = parseArgs(process.argv.slice(2), { values: ['model', 'data', 'limit', 'threads', 'out', 'edit-sentences'], flags: [] }).values;
const model = args.model ?? [path.join(ROOT, 'models', 'default'), path.join(ROOT, 'test', 'fixtures', 'model')].find(existsSync)!;
const data = args.data ?? [path.resolve(ROOT, '..', 'shared', 'data', 'BC5CDR', 'test.tsv'), path.join(ROOT, 'test', 'fixtures', 'corpus', 'BC5CDR-test-300.tsv')].find(existsSync)!;
const threads = args.threads ?? '1';
const work = mkdtempSync(path.join(tmpdir(), 'bioner-bench-'));

async function loadSentences() {
  const sentences = await readSentences(data, DEFAULT_SETTINGS);
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
  everyType?: Side;
  argmax?: Side;
  int8?: Side;
}

async function main(): Promise<void> {
  const corpus = await loadSentences();
  const sentences = corpus.map(wordsOf);
  const gold = corpus.map((tokens) => tokens.map(tagOf));
  const types = new Set(gold.flat().flatMap((tag) => (tag?.type ? [tag.type] : [])));
  const sentencesFile = path.join(work, 'sentences.json');
  writeFileSync(sentencesFile, JSON.stringify(sentences));
  const tokens = sentences.reduce((n, s) => n + s.length, 0);
  console.log(`bench: ${sentences.length} sentences, ${tokens} tokens from ${data}; model ${model}; ${threads} thread(s)`);
  const engine = runSide('side.ts', 'engine', 'engine', model, sentencesFile, 'OUT', threads, JSON.stringify([...types])) as unknown as Side;
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
  const spacy = runSpacyPeer(sentencesFile, work);
  const f1 = entityF1(gold, types, { engine: engine.labels, ...(engine.int8 ? { int8: engine.int8.labels } : {}), ...('skipped' in spacy ? {} : { spacy: spacy.labels }) });
  const editSentences = Number(args['edit-sentences'] ?? 5000);
  const editSet = repeatSentences(sentences, editSentences);
  const editFile = path.join(work, 'edit-sentences.json');
  writeFileSync(editFile, JSON.stringify(editSet));
  const latency = runSide('editLatency.ts', 'latency', model, editFile, 'OUT') as { firstPassMs: number; peakRssMB: number; editLatencyMs: { median: number; max: number } };
  const summary = {
    date: new Date().toISOString(),
    data: path.relative(ROOT, data),
    model: path.relative(ROOT, model),
    sentences: sentences.length,
    tokens,
    threads: Number(threads),
    engine: { tokensPerSecond: Math.round(engine.tokensPerSecond), everyTypeTokensPerSecond: Math.round(engine.everyType!.tokensPerSecond), argmaxTokensPerSecond: Math.round(engine.argmax!.tokensPerSecond), int8TokensPerSecond: engine.int8 && Math.round(engine.int8.tokensPerSecond), firstResultMs: Math.round(engine.firstResultMs), maxRssMB: Math.round(engine.maxRssMB) },
    peer: { tokensPerSecond: Math.round(peer.tokensPerSecond), firstResultMs: Math.round(peer.firstResultMs), maxRssMB: Math.round(peer.maxRssMB) },
    // The same graph and labels on both sides: the engine's real path computes only the heads of the data's types.
    throughputRatio: Number((engine.argmax!.tokensPerSecond / peer.tokensPerSecond).toFixed(2)),
    agreement: { wordsCompared: compared, disagreements, examples },
    spacy:
      'skipped' in spacy
        ? { skipped: spacy.skipped }
        : {
            tokensPerSecond: Math.round(spacy.tokensPerSecond),
            loadSeconds: Number(spacy.loadSeconds.toFixed(2)),
            firstResultMs: Math.round(spacy.firstResultMs),
            maxRssMB: Math.round(spacy.maxRssMB),
            training: { trainedNow: spacy.training.trained, seconds: Math.round(spacy.training.seconds), steps: spacy.training.steps },
            throughputRatio: Number((engine.tokensPerSecond / spacy.tokensPerSecond).toFixed(2)),
            int8ThroughputRatio: engine.int8 && Number((engine.int8.tokensPerSecond / spacy.tokensPerSecond).toFixed(2)),
          },
    entityF1: f1,
    server: { sentences: editSentences, firstPassMs: Math.round(latency.firstPassMs), peakRssMB: latency.peakRssMB, editLatencyMs: latency.editLatencyMs },
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(`strict entity F1 (%, conlleval chunking) against ${path.relative(ROOT, data)}:`);
  for (const [row, sides] of Object.entries(f1)) console.log(`  ${row.padEnd(10)} ${Object.entries(sides).map(([side, value]) => `${side} ${value.toFixed(2)}`).join('  ')}`);
  if ('skipped' in spacy) console.log(`spaCy peer skipped: ${spacy.skipped}`);
  else {
    const against = (side: Side, name: string) => {
      const ratio = side.tokensPerSecond / spacy.tokensPerSecond;
      const relative = ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
      return `${Math.round(side.tokensPerSecond)} tokens/s (${relative}), F1 ${f1.overall[name].toFixed(2)}`;
    };
    console.log(`spaCy peer: ${Math.round(spacy.tokensPerSecond)} tokens/s, F1 ${f1.overall.spacy.toFixed(2)}; BioNER ${against(engine, 'engine')}${engine.int8 ? `; int8 graph ${against(engine.int8, 'int8')}` : ''}`);
  }
  if (args.out) writeFileSync(args.out, JSON.stringify(summary, null, 2) + '\n');
  if (disagreements > 0) {
    console.error(`bench: the engine and the peer disagree on ${disagreements} of ${compared} words`);
    process.exit(1);
  }
}

/**
 * Strict entity F1 (%) of each side's labels, overall and per gold type. Labels of types the gold file does not
 * annotate count as O: the engine was asked for the gold types only, but spaCy's model has BC5CDR's types
 * whatever --data is.
 */
function entityF1(gold: TagSequence[], types: ReadonlySet<string>, sides: Record<string, (string | null)[][]>): Record<string, Record<string, number>> {
  const asGold = (label: string | null) => {
    const parsed = label === null ? undefined : parseTag(label);
    if (!parsed?.ok) return null;
    return parsed.tag.prefix === 'O' || types.has(parsed.tag.type) ? parsed.tag : { prefix: 'O' as const, type: '' };
  };
  const rows: Record<string, Record<string, number>> = {};
  for (const [side, labels] of Object.entries(sides)) {
    const evaluation = evaluate(gold, labels.map((sentence) => sentence.map(asGold)));
    const percent = (f1: number) => Number((100 * f1).toFixed(2));
    (rows.overall ??= {})[side] = percent(evaluation.strict.f1);
    for (const type of [...types].sort()) (rows[type] ??= {})[side] = percent(evaluation.perType[type]?.strict.f1 ?? 0);
  }
  return rows;
}

void main();
