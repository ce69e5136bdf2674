/** `bioner eval`: scores predictions (a file, or a model run now) against gold BIO annotations. */
import { readBioFile, readSentences, wordsOf } from '../core/conll/corpus';
import { tagOf, type TokenLine } from '../core/conll/reader';
import type { TagSequence } from '../core/conll/sequence';
import { parseTag, type Tag } from '../core/conll/tags';
import { evaluate, type Evaluation, type Scores } from '../core/eval/score';
import { LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { comparedTypes } from '../core/ner/entityTypes';
import { bioScope } from '../core/ner/abbreviationTypes';
import { loadEngine, MODEL_FLAGS, MODEL_OPTIONS, predictDocument, typesFromArgs } from './model';

export async function runEval(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['pred', ...MODEL_OPTIONS, ...LAYOUT_OPTIONS], flags: ['json', ...MODEL_FLAGS] });
  if (args.positional.length !== 1) throw new UsageError('eval takes one gold file');
  if (args.values.pred && args.values.model) throw new UsageError('give --pred or --model, not both');
  const settings = settingsFromArgs(args.values);
  const goldFile = args.positional[0];
  const { layout, sentences: gold, docstarts } = await readBioFile(goldFile, settings);
  const goldTags = gold.map((tokens) => tokens.map(tagOf));
  let predicted: TagSequence[];
  if (args.values.pred) {
    // A prediction file's tag is its last column (annotate appends it there).
    const pred = await readSentences(args.values.pred, { tagColumn: -1, scheme: 'auto' });
    alignOrThrow(goldFile, gold, args.values.pred, pred);
    predicted = pred.map((tokens) => tokens.map(tagOf));
  } else {
    const engine = await loadEngine(args.values, args.flags);
    try {
      // Scored on the gold file's types unless --types says otherwise: another corpus's types are not errors here.
      const types = typesFromArgs(args.values, engine, comparedTypes(layout.typeCounts.keys(), engine.entityTypes));
      const scope = bioScope(gold.map((tokens) => tokens[0].line.number), docstarts);
      const predictions = await predictDocument(engine, gold.map(wordsOf), types, scope, args.flags);
      predicted = predictions.map((p) => p.labels.map(toTag));
    } finally {
      await engine.dispose();
    }
  }
  const evaluation = evaluate(goldTags, predicted);
  process.stdout.write(args.flags.has('json') ? JSON.stringify(evaluation, null, 2) + '\n' : formatEvaluation(evaluation));
  return 0;
}

function toTag(label: string): Tag | null {
  const parsed = parseTag(label);
  return parsed.ok ? parsed.tag : null;
}

function alignOrThrow(goldFile: string, gold: TokenLine[][], predFile: string, pred: TokenLine[][]): void {
  const count = Math.min(gold.length, pred.length);
  for (let s = 0; s < count; s++) {
    const g = wordsOf(gold[s]);
    const p = wordsOf(pred[s]);
    const differs = g.findIndex((w, i) => w !== p[i]);
    if (g.length !== p.length || differs >= 0) {
      const at = differs >= 0 ? differs : Math.min(g.length, p.length);
      const line = (tokens: TokenLine[]) => (tokens[at] ?? tokens[tokens.length - 1]).line.number + 1;
      throw new Error(`sentence ${s + 1} differs: ${goldFile}:${line(gold[s])} has '${g[at] ?? '(end)'}', ${predFile}:${line(pred[s])} has '${p[at] ?? '(end)'}'`);
    }
  }
  if (gold.length !== pred.length) throw new Error(`${goldFile} has ${gold.length} sentences but ${predFile} has ${pred.length}`);
}

const pct = (x: number) => (100 * x).toFixed(2).padStart(6);

function row(name: string, scores: Scores): string {
  const { strict, relaxed } = scores;
  return `${name.padEnd(16)} ${pct(strict.precision)} ${pct(strict.recall)} ${pct(strict.f1)}   ${pct(relaxed.precision)} ${pct(relaxed.recall)} ${pct(relaxed.f1)}   ${String(strict.gold).padStart(6)} ${String(strict.predicted).padStart(6)}\n`;
}

export function formatEvaluation(e: Evaluation): string {
  let out = `${e.sentences} sentences, ${e.tokens} tokens; conlleval chunking (an I- after O starts an entity)\n`;
  out += `${''.padEnd(16)} ${'strict P'.padStart(6)}      R      F1   relaxed P     R      F1     gold   pred\n`;
  out += row('overall', e);
  for (const [type, scores] of Object.entries(e.perType)) out += row(`type ${type}`, scores);
  for (const [bucket, scores] of Object.entries(e.perLength)) out += row(`length ${bucket}`, scores);
  return out;
}
