/**
 * `npm run bench:review`: how well label review finds planted label errors, against cleanlab on the same
 * probabilities and a random ranking. Seeded noise (bench of core/review/noise.ts: drop, retype, boundary shift) in
 * a share of the entities of BC5CDR test; the default model (trained on train+dev, never on test) run once; then, per
 * seed, sentences ranked by
 *   ours      self-confidence and normalized margin on IOB2 CRF marginals (a sentence's worst token), the same on
 *             the type-collapsed view, and the sentences of our review items in item order;
 *   cleanlab  token_classification get_label_quality_scores (sentence scores) and find_label_issues (flagged
 *             tokens, in its order), given the type-collapsed probabilities (O + each type, B- and I- summed) and the
 *             noisy labels as class ids, as its token-classification tutorial does (bench/cleanlab_peer.py, in
 *             build/cleanlab-peer/venv from PyPI: a peer, AGPL, never a dependency);
 *   random    the mean of 100 seeded shuffles.
 * A sentence is positive when noise touched it. Our items are also scored as items: a hit overlaps a planted change.
 *   review.ts [--model DIR] [--data FILE.tsv] [--fraction F] [--out FILE.json]
 * Writes OUT (default bench/results/review-noise.json) and prints a table: the fixed seed 0 and the mean of 1, 2, 3.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '@common/settings';
import { parseArgs } from '../server/src/cli/args';
import { modelRun, reviewFile } from '../server/src/cli/review';
import { readBioFile } from '../server/src/core/conll/corpus';
import { NerEngine } from '../server/src/core/ner/engine';
import { rankLabelIssues, scoreSentence, type LabelIssue, type RankOptions } from '../server/src/core/review/labelIssues';
import { averagePrecision, injectNoise, precisionAt, type Noise, type NoiseKind } from '../server/src/core/review/noise';
import { collapseTypes, type ModelView } from '../server/src/core/review/tagProbabilities';
import { Random } from '../test/support/random';
import { installPeer, ROOT, runPeerScript, type PeerVenv } from './peerVenv';

const args = parseArgs(process.argv.slice(2), { values: ['model', 'data', 'fraction', 'out'], flags: [] }).values;
const MODEL = args.model ?? path.join(ROOT, 'models', 'default');
const DATA = args.data ?? path.resolve(ROOT, '..', 'shared', 'data', 'BC5CDR', 'test.tsv');
const FRACTION = Number(args.fraction ?? 0.05);
const OUT = args.out ?? path.join(__dirname, 'results', 'review-noise.json');
/** Seed 0 is the reported run; 1, 2 and 3 give the mean. */
const SEEDS = [0, 1, 2, 3];
const K = [50, 100, 200];
const RANDOM_SHUFFLES = 100;
const CLEANLAB: PeerVenv = { dir: path.join(ROOT, 'build', 'cleanlab-peer', 'venv'), module: 'cleanlab', requirements: ['cleanlab==2.9.0'], name: 'cleanlab 2.9.0' };

interface Measures {
  /** Precision at each K. */
  precision: Record<number, number>;
  averagePrecision: number;
  /** Length of the ranking (every sentence, or those flagged). */
  ranked: number;
  /** Share of the positives it holds. */
  recall: number;
}

function measure<T>(ranked: readonly T[], isPositive: (item: T) => boolean, positives: number): Measures {
  return {
    precision: Object.fromEntries(K.map((k) => [k, precisionAt(ranked, isPositive, k)])),
    averagePrecision: averagePrecision(ranked, isPositive, positives),
    ranked: ranked.length,
    recall: ranked.filter(isPositive).length / positives,
  };
}

/** Sentence indices by ascending score (ties in sentence order). */
const byScore = (scores: readonly number[]) => scores.map((_, s) => s).sort((a, b) => scores[a] - scores[b] || a - b);
/** Sentences in the order they first appear in a list of places. */
const firstSeen = (sentences: readonly number[]) => [...new Set(sentences)];

/** The model's probabilities, type-collapsed, as cleanlab reads them; the noisy labels of every seed as class ids. */
function writeCleanlabInputs(work: string, views: readonly ModelView[], noises: ReadonlyMap<number, Noise>): { probs: string; meta: string } {
  const collapsed = views.map((view) => collapseTypes(view.probabilities));
  const classes = collapsed[0].labels;
  const probs = path.join(work, 'probs.f32');
  const values = collapsed.map((c) => c.values);
  const flat = new Float32Array(values.reduce((n, v) => n + v.length, 0));
  values.reduce((at, v) => (flat.set(v, at), at + v.length), 0);
  writeFileSync(probs, Buffer.from(flat.buffer));
  const classOf = (tag: string) => classes.indexOf(tag === 'O' ? 'O' : tag.slice(2));
  const labels = Object.fromEntries([...noises].map(([seed, noise]) => [seed, noise.tags.map((tags) => tags.map(classOf))]));
  const meta = path.join(work, 'meta.json');
  writeFileSync(meta, JSON.stringify({ classes, lengths: views.map((v) => v.decoded.length), labels }));
  return { probs, meta };
}

interface CleanlabRun {
  sentenceScores: number[];
  issues: [number, number][];
  seconds: number;
}

function runCleanlab(work: string, views: readonly ModelView[], noises: ReadonlyMap<number, Noise>): { version: string; runs: Record<string, CleanlabRun> } | { skipped: string } {
  const setupError = installPeer(CLEANLAB);
  if (setupError) return { skipped: setupError };
  const { probs, meta } = writeCleanlabInputs(work, views, noises);
  const out = path.join(work, 'cleanlab.json');
  runPeerScript(CLEANLAB, path.join(__dirname, 'cleanlab_peer.py'), probs, meta, out);
  return JSON.parse(readFileSync(out, 'utf8'));
}

/** Whether an item's region overlaps a planted change (before or after it) of its sentence. */
function overlapsChange(noise: Noise, sentence: number, start: number, end: number): NoiseKind | undefined {
  const change = noise.changes.find(
    (c) => c.sentence === sentence && [c.before, c.after].some((chunk) => chunk !== undefined && chunk.start < end && start < chunk.end),
  );
  return change?.kind;
}

/** Per noise kind, the share of changes that some flagged region (an item, or a token) overlaps. */
function recallByKind(noise: Noise, regions: readonly { sentence: number; start: number; end: number }[]): Record<string, number> {
  const kinds = [...new Set(noise.changes.map((c) => c.kind))];
  return Object.fromEntries(
    kinds.map((kind) => {
      const changes = noise.changes.filter((c) => c.kind === kind);
      const found = changes.filter((c) =>
        regions.some((r) => r.sentence === c.sentence && [c.before, c.after].some((chunk) => chunk !== undefined && chunk.start < r.end && r.start < chunk.end)),
      );
      return [kind, found.length / changes.length];
    }),
  );
}

function randomBaseline(sentences: number, isPositive: (s: number) => boolean, positives: number, seed: number): Measures {
  const runs = Array.from({ length: RANDOM_SHUFFLES }, (_, r) => {
    const random = new Random(1000 * seed + r);
    const order = Array.from({ length: sentences }, (_, s) => s);
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return measure(order, isPositive, positives);
  });
  return meanOf(runs);
}

function meanOf(runs: readonly Measures[]): Measures {
  const mean = (pick: (m: Measures) => number) => runs.reduce((sum, m) => sum + pick(m), 0) / runs.length;
  return {
    precision: Object.fromEntries(K.map((k) => [k, mean((m) => m.precision[k])])),
    averagePrecision: mean((m) => m.averagePrecision),
    ranked: mean((m) => m.ranked),
    recall: mean((m) => m.recall),
  };
}

async function main(): Promise<void> {
  if (!existsSync(DATA)) throw new Error(`${DATA} is missing (the public corpora, ../shared/data; or pass --data FILE)`);
  const engine = await NerEngine.load(MODEL, { workerScript: path.join(ROOT, 'dist', 'nerWorker.js') });
  const { layout, sentences } = await readBioFile(DATA, DEFAULT_SETTINGS);
  const file = reviewFile(DATA, layout, sentences, engine.entityTypes);
  // Noise goes into the reviewed types only: entities of a type the model does not predict are not scored.
  const gold = file.gold.map((tags) => tags.map((tag) => (file.types.includes(tag.slice(2)) ? tag : 'O')));
  const entities = gold.reduce((n, tags) => n + tags.filter((t) => t.startsWith('B-')).length, 0);
  console.log(`bench:review: ${sentences.length} sentences, ${entities} entities (${file.types.join(', ')}) from ${DATA}; model ${MODEL}`);
  const started = performance.now();
  const views = await modelRun(engine)(file);
  const probabilitySeconds = (performance.now() - started) / 1000;
  await engine.dispose();
  console.log(`bench:review: the model's probabilities in ${probabilitySeconds.toFixed(1)} s`);
  const probabilities = views.map((v) => v.probabilities);
  const decoded = views.map((v) => v.decoded);
  const issuesOf = (gold: readonly (readonly string[])[], options: RankOptions = {}) => rankLabelIssues(gold, probabilities, decoded, options);
  const cleanItems = issuesOf(gold);

  const noises = new Map(
    SEEDS.map((seed) => {
      const random = new Random(seed);
      return [seed, injectNoise(gold, { fraction: FRACTION, random: () => random.next() })];
    }),
  );
  const work = mkdtempSync(path.join(tmpdir(), 'bioner-bench-review-'));
  const cleanlab = runCleanlab(work, views, noises);
  if ('skipped' in cleanlab) console.log(`bench:review: cleanlab skipped: ${cleanlab.skipped}`);

  const runs = Object.fromEntries(
    SEEDS.map((seed) => {
      const noise = noises.get(seed)!;
      const positives = noise.sentences.size;
      const planted = (s: number) => noise.sentences.has(s);
      const sentenceScores = (options: RankOptions) => byScore(noise.tags.map((tags, s) => scoreSentence(tags, probabilities[s], options).score));
      const items = issuesOf(noise.tags);
      const methods: Record<string, Measures> = {
        'ours: self-confidence, IOB2': measure(sentenceScores({}), planted, positives),
        'ours: normalized margin, IOB2': measure(sentenceScores({ scoring: 'normalized-margin' }), planted, positives),
        'ours: self-confidence, type-collapsed': measure(sentenceScores({ view: 'class' }), planted, positives),
        'ours: review items (sentences)': measure(firstSeen(items.map((i) => i.sentence)), planted, positives),
      };
      let cleanlabRecall: Record<string, number> | undefined;
      if (!('skipped' in cleanlab)) {
        const run = cleanlab.runs[seed];
        methods['cleanlab: get_label_quality_scores'] = measure(byScore(run.sentenceScores), planted, positives);
        methods['cleanlab: find_label_issues (sentences)'] = measure(firstSeen(run.issues.map(([s]) => s)), planted, positives);
        cleanlabRecall = recallByKind(noise, run.issues.map(([sentence, token]) => ({ sentence, start: token, end: token + 1 })));
      }
      methods.random = randomBaseline(noise.tags.length, planted, positives, seed);
      const hit = (issue: LabelIssue) => overlapsChange(noise, issue.sentence, issue.start, issue.end) !== undefined;
      return [
        seed,
        {
          positives,
          changes: noise.changes.length,
          byKind: Object.fromEntries(['drop', 'retype', 'shift'].map((kind) => [kind, noise.changes.filter((c) => c.kind === kind).length])),
          methods,
          items: { ...measure(items, hit, noise.changes.length), recallByKind: recallByKind(noise, items) },
          // The order before items were ranked by their own score: a sentence's items together, after its worst one.
          itemsBySentenceScore: measure([...items].sort((a, b) => a.sentenceScore - b.sentenceScore || a.score - b.score || a.sentence - b.sentence || a.start - b.start), hit, noise.changes.length),
          cleanlabTokenRecallByKind: cleanlabRecall,
        },
      ];
    }),
  );
  const meanRuns = Object.fromEntries(Object.keys(runs[0].methods).map((name) => [name, meanOf([1, 2, 3].map((seed) => runs[seed].methods[name]))]));
  const summary = {
    date: new Date().toISOString(),
    model: path.relative(ROOT, MODEL),
    data: DATA,
    sentences: sentences.length,
    entities,
    types: file.types,
    fraction: FRACTION,
    probabilitySeconds,
    itemsOnUnmodifiedGold: { items: cleanItems.length, sentences: new Set(cleanItems.map((i) => i.sentence)).size },
    cleanlab: 'skipped' in cleanlab ? cleanlab : { version: cleanlab.version, seconds: Object.values(cleanlab.runs).map((r) => r.seconds) },
    runs,
    meanOfSeeds123: {
      methods: meanRuns,
      items: meanOf([1, 2, 3].map((seed) => runs[seed].items)),
      itemsBySentenceScore: meanOf([1, 2, 3].map((seed) => runs[seed].itemsBySentenceScore)),
    },
  };
  writeFileSync(OUT, JSON.stringify(summary, null, 2) + '\n');
  printTable(runs[0], summary.meanOfSeeds123, summary.itemsOnUnmodifiedGold);
  console.log(`bench:review: wrote ${path.relative(ROOT, OUT)}`);
}

function printTable(
  fixed: {
    positives: number;
    changes: number;
    byKind: Record<string, number>;
    methods: Record<string, Measures>;
    items: Measures & { recallByKind: Record<string, number> };
    itemsBySentenceScore: Measures;
  },
  mean: { methods: Record<string, Measures>; items: Measures; itemsBySentenceScore: Measures },
  clean: { items: number; sentences: number },
): void {
  const pct = (x: number) => (100 * x).toFixed(1).padStart(5);
  const row = (name: string, m: Measures, n: Measures) =>
    `${name.padEnd(42)} ${[...K.map((k) => m.precision[k]), m.averagePrecision].map(pct).join(' ')}   ${[...K.map((k) => n.precision[k]), n.averagePrecision].map(pct).join(' ')}`;
  console.log(`\nseed 0: ${fixed.changes} changes (${Object.entries(fixed.byKind).map(([k, v]) => `${v} ${k}`).join(', ')}) in ${fixed.positives} sentences`);
  const head = [...K.map((k) => `P@${k}`), 'AP'].map((h) => h.padStart(5)).join(' ');
  console.log(`${''.padEnd(42)} ${'seed 0'.padEnd(head.length)}   seeds 1-3 (mean)`);
  console.log(`${'ranking (in %)'.padEnd(42)} ${head}   ${head}`);
  for (const name of Object.keys(fixed.methods)) console.log(row(name, fixed.methods[name], mean.methods[name]));
  console.log(row('ours: review items (by their own score)', fixed.items, mean.items));
  console.log(row('ours: review items by sentence score first', fixed.itemsBySentenceScore, mean.itemsBySentenceScore));
  console.log(`items: ${fixed.items.ranked} (recall ${pct(fixed.items.recall)} %; by kind ${Object.entries(fixed.items.recallByKind).map(([k, v]) => `${k} ${pct(v)}`).join(',')}); on the unmodified gold ${clean.items} items in ${clean.sentences} sentences`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
