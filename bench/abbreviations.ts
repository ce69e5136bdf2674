/**
 * The gain of abbreviation types: strict F1 of the model on a corpus split, without and with them, for several
 * neighbour windows (a corpus without -DOCSTART- marks), and what changed.
 *   abbreviations.ts [--split dev|test] [--corpora BC5CDR,NCBI-disease] [--windows 0,5,10,20] [--out FILE.json]
 * Each corpus is decoded with its own head (`--heads NAME`), restricted to its types, as `bioner eval` scores it.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '@common/settings';
import { parseArgs } from '../server/src/cli/args';
import { readBioFile, wordsOf } from '../server/src/core/conll/corpus';
import { tagOf } from '../server/src/core/conll/reader';
import { parseTag, type Tag } from '../server/src/core/conll/tags';
import { evaluate } from '../server/src/core/eval/score';
import { bioScope, withAbbreviationTypes } from '../server/src/core/ner/abbreviationTypes';
import { NerEngine } from '../server/src/core/ner/engine';
import { comparedTypes } from '../server/src/core/ner/entityTypes';

const ROOT = path.resolve(__dirname, '..');
const args = parseArgs(process.argv.slice(2), { values: ['split', 'corpora', 'windows', 'out', 'model', 'data'], flags: [] }).values;
const split = args.split ?? 'test';
const corpora = (args.corpora ?? 'BC5CDR,NCBI-disease').split(',');
const windows = (args.windows ?? '10').split(',').map(Number);
const data = args.data ?? path.resolve(ROOT, '..', 'shared', 'data');
const model = args.model ?? path.join(ROOT, 'models', 'default');

const toTag = (label: string): Tag | null => {
  const parsed = parseTag(label);
  return parsed.ok ? parsed.tag : null;
};
const f1 = (x: number) => Number((100 * x).toFixed(2));

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  for (const corpus of corpora) {
    const file = path.join(data, corpus, `${split}.tsv`);
    const { layout, sentences, docstarts } = await readBioFile(file, DEFAULT_SETTINGS);
    const words = sentences.map(wordsOf);
    const gold = sentences.map((tokens) => tokens.map(tagOf));
    const engine = await NerEngine.load(model, { heads: [corpus], workerScript: path.join(ROOT, 'dist', 'nerWorker.js') });
    const predictions = await engine.predict(words, { types: comparedTypes(layout.typeCounts.keys(), engine.entityTypes) });
    await engine.dispose();
    const score = (labels: readonly string[][]) => evaluate(gold, labels.map((l) => l.map(toTag)));
    const without = score(predictions.map((p) => p.labels));
    const row: Record<string, unknown> = { corpus, split, sentences: words.length, documents: docstarts.length, without: f1(without.strict.f1) };
    const lines = sentences.map((tokens) => tokens[0].line.number);
    for (const window of docstarts.length > 0 ? [0] : windows) {
      const scope = docstarts.length > 0 ? bioScope(lines, docstarts) : { window };
      const started = performance.now();
      const withTypes = withAbbreviationTypes(words, predictions, scope);
      const ms = performance.now() - started;
      const changed = withTypes.reduce((n, p) => n + p.spans.filter((s) => s.abbreviation).length, 0);
      const scored = score(withTypes.map((p) => p.labels));
      const perType = Object.fromEntries(Object.entries(scored.perType).map(([type, s]) => [type, { without: f1(without.perType[type]?.strict.f1 ?? 0), with: f1(s.strict.f1) }]));
      row[docstarts.length > 0 ? 'documents' : `window ${window}`] = { f1: f1(scored.strict.f1), gain: f1(scored.strict.f1 - without.strict.f1), spansTyped: changed, ms: Math.round(ms), perType };
    }
    console.log(JSON.stringify(row));
    results.push(row);
  }
  if (args.out) writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n');
}

void main();
