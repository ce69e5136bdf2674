/** `bioner eval`: scores predictions (a file, or a model run now) against gold BIO annotations. */
import { readBioFile, readSentences, wordsOf } from '../core/conll/corpus';
import { tagOf, type TokenLine } from '../core/conll/reader';
import { evaluateModel, goldTypes } from '../core/eval/modelEvaluation';
import { evaluate, type Evaluation } from '../core/eval/score';
import { evaluationJson, textTable } from '../core/reports/export';
import { evaluationTable } from '../core/reports/tables';
import { LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { closeEngine, loadEngine, MODEL_FLAGS, MODEL_OPTIONS, typesFromArgs } from './model';
import { REMOTE_OPTIONS } from './remote';

export async function runEval(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['pred', ...MODEL_OPTIONS, ...LAYOUT_OPTIONS, ...REMOTE_OPTIONS], flags: ['json', ...MODEL_FLAGS] });
  if (args.positional.length !== 1) throw new UsageError('eval takes one gold file');
  if (args.values.pred && args.values.model) throw new UsageError('give --pred or --model, not both');
  if (args.values.pred && args.values.endpoint) throw new UsageError('give --pred or --endpoint, not both');
  const settings = settingsFromArgs(args.values);
  const goldFile = args.positional[0];
  const gold = await readBioFile(goldFile, settings);
  let evaluation: Evaluation;
  if (args.values.pred) {
    // A prediction file's tag is its last column (annotate appends it there).
    const pred = await readSentences(args.values.pred, { tagColumn: -1, scheme: 'auto' });
    alignOrThrow(goldFile, gold.sentences, args.values.pred, pred);
    evaluation = evaluate(gold.sentences.map((tokens) => tokens.map(tagOf)), pred.map((tokens) => tokens.map(tagOf)));
  } else {
    const engine = await loadEngine(args.values, args.flags);
    try {
      // Scored on the gold file's types unless --types says otherwise: another corpus's types are not errors here.
      const types = typesFromArgs(args.values, engine, goldTypes(gold, engine));
      evaluation = await evaluateModel(engine, gold, { types, abbreviations: !args.flags.has('no-abbreviations') });
    } finally {
      await closeEngine(engine);
    }
  }
  process.stdout.write(args.flags.has('json') ? evaluationJson(evaluation) + '\n' : formatEvaluation(evaluation));
  return 0;
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

export function formatEvaluation(e: Evaluation): string {
  return `${e.sentences} sentences, ${e.tokens} tokens; conlleval chunking (an I- after O starts an entity)\n${textTable(evaluationTable(e))}`;
}
