/** `bioner review`: the gold annotations a model doubts most (likely label errors), ranked for a person to check. */
import type { Layout } from '../core/conll/layout';
import { readBioFile, wordsOf } from '../core/conll/corpus';
import { convertSentence } from '../core/conll/convert';
import type { TokenLine } from '../core/conll/reader';
import type { NerEngine } from '../core/ner/engine';
import { byRank, entitiesOf, rankLabelIssues, SCORINGS, type LabelIssue } from '../core/review/labelIssues';
import { modelViews, reviewedTypes, type ModelView } from '../core/review/tagProbabilities';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cancelled } from '../core/ner/cancelled';
import { EVERY_TYPE } from '../core/ner/entityTypes';
import { startCrossValidation } from '../core/review/crossValidation';
import { checkPython } from '../core/train/trainer';
import { choice, LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError, type ParsedArgs } from './args';
import { closeEngine, loadEngine, MODEL_FLAGS, MODEL_OPTIONS, typesFromArgs } from './model';
import { REMOTE_OPTIONS } from './remote';
import { describeErrno } from './output';

/** Review scores the model's own probabilities: abbreviation types, which only relabel spans, do not apply. */
const FLAGS = ['json', ...MODEL_FLAGS.filter((flag) => flag !== 'no-abbreviations')];

/** A gold file read for review. */
export interface ReviewFile {
  path: string;
  sentences: TokenLine[][];
  words: string[][];
  /** Gold tags as IOB2; unusable tags read as O. */
  gold: string[][];
  /** The entity types reviewed (see reviewedTypes). */
  types: string[];
  /** The file's types the model does not predict: not reviewed. */
  notPredicted: string[];
}

export async function runReview(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['scoring', 'limit', ...FOLD_OPTIONS, ...MODEL_OPTIONS, ...REMOTE_OPTIONS, ...LAYOUT_OPTIONS], flags: FLAGS });
  if (args.positional.length === 0) throw new UsageError('review takes one or more BIO files');
  const scoring = choice(args.values, 'scoring', SCORINGS);
  const limit = limitFromArgs(args.values.limit);
  const settings = settingsFromArgs(args.values);
  const folds = foldsFromArgs(args.values);
  const documents = await Promise.all(
    args.positional.map(async (path) => {
      const { layout, sentences } = await readBioFile(path, settings).catch((error: NodeJS.ErrnoException) => {
        throw error.code ? new Error(`cannot read ${path}: ${describeErrno(error)}`) : error;
      });
      return { path, layout, sentences };
    }),
  );
  let source: { files: ReviewFile[]; views: ModelView[][] };
  try {
    source = folds ? await crossValidatedViews(documents, folds, args.values) : await modelViewsNow(documents, args);
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
    process.stderr.write('bioner: review cancelled\n');
    return 130;
  }
  const { files, views } = source;
  const found: { file: ReviewFile; issue: LabelIssue }[] = [];
  files.forEach((file, f) => {
    const issues = rankLabelIssues(
      file.gold,
      views[f].map((v) => v.probabilities),
      views[f].map((v) => v.decoded),
      { scoring },
    );
    found.push(...issues.map((issue) => ({ file, issue })));
  });
  // One ranking over every file.
  found.sort((a, b) => byRank(a.issue, b.issue));
  const shown = found.slice(0, limit);
  const sentences = files.reduce((sum, file) => sum + file.sentences.length, 0);
  if (args.flags.has('json')) process.stdout.write(shown.map(({ file, issue }) => JSON.stringify(issueJson(file, issue)) + '\n').join(''));
  else process.stdout.write(formatTable(shown, found.length, sentences, new Set(found.map((f) => `${f.file.path}\u241f${f.issue.sentence}`)).size));
  return 0;
}

interface BioDocument {
  path: string;
  layout: Layout;
  sentences: TokenLine[][];
}

/** The files as one model sees them now: `--model` or the default model. */
async function modelViewsNow(documents: BioDocument[], args: ParsedArgs): Promise<{ files: ReviewFile[]; views: ModelView[][] }> {
  const engine = await loadEngine(args.values, args.flags);
  try {
    // `--types *` reviews every type the model predicts.
    const requested = args.values.types === undefined ? undefined : (typesFromArgs(args.values, engine, undefined) ?? engine.entityTypes);
    const files = documents.map((d) => reviewFile(d.path, d.layout, d.sentences, engine.entityTypes, requested));
    const views: ModelView[][] = [];
    for (const file of files) {
      const left = file.notPredicted;
      if (left.length > 0) process.stderr.write(`bioner: ${file.path}: ${left.join(', ')} not reviewed: the model does not predict ${left.length > 1 ? 'them' : 'it'}\n`);
      views.push(await modelRun(engine)(file));
    }
    return { files, views };
  } finally {
    await closeEngine(engine);
  }
}

const FOLD_OPTIONS = ['folds', 'fold-minutes', 'python'];
const DEFAULT_FOLD_MINUTES = 5;

function foldsFromArgs(values: Record<string, string | undefined>): number | undefined {
  if (values.folds === undefined) {
    const stray = FOLD_OPTIONS.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray} goes with --folds K`);
    return undefined;
  }
  const folds = Number(values.folds);
  if (!Number.isInteger(folds) || folds < 2) throw new UsageError(`--folds takes an integer of at least 2, not '${values.folds}'`);
  const modelOption = [...MODEL_OPTIONS, ...REMOTE_OPTIONS].find((name) => name !== 'types' && values[name] !== undefined);
  if (modelOption) throw new UsageError(`--${modelOption} is for a model run now; --folds trains its own models`);
  return folds;
}

/**
 * Out-of-sample views of the files together, by K-fold cross-validation through the trainer: the models learn the
 * files' own types, each fold within --fold-minutes, with progress on stderr; Ctrl-C stops the fold in training.
 */
async function crossValidatedViews(documents: BioDocument[], folds: number, values: Record<string, string | undefined>): Promise<{ files: ReviewFile[]; views: ModelView[][] }> {
  const minutes = values['fold-minutes'] === undefined ? DEFAULT_FOLD_MINUTES : Number(values['fold-minutes']);
  if (!(minutes > 0)) throw new UsageError(`--fold-minutes takes a positive number, not '${values['fold-minutes']}'`);
  const python = values.python ?? (process.platform === 'linux' ? '/usr/bin/python3' : 'python3');
  const problem = checkPython(python, false);
  if (problem) throw new Error(problem);
  const annotated = new Set(documents.flatMap((d) => [...d.layout.typeCounts.keys()]));
  const requested = values.types === undefined || values.types.trim() === EVERY_TYPE ? undefined : new Set(values.types.split(',').map((t) => t.trim()));
  const unknown = [...(requested ?? [])].filter((type) => !annotated.has(type));
  if (unknown.length > 0) throw new UsageError(`--types: the files do not annotate ${unknown.join(', ')}; they annotate ${[...annotated].join(', ')}`);
  const files = documents.map((d) => reviewFile(d.path, d.layout, d.sentences, annotated, requested));
  const types = [...new Set(files.flatMap((file) => file.types))].sort();
  const sentences = files.flatMap((file) => file.words.map((words, s) => ({ words, gold: file.gold[s] })));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bioner-folds-'));
  const run = startCrossValidation(sentences, {
    folds,
    minutesPerFold: minutes,
    python,
    workDir,
    types,
    onEvent: (fold, event) => {
      const at = `review: fold ${fold + 1}/${folds}`;
      if (event.event === 'start') process.stderr.write(`${at}: training on ${event.train_sentences ?? '?'} sentences for at most ${minutes} min\n`);
      else if (event.event === 'epoch') process.stderr.write(`${at}: epoch ${event.epoch}, dev F1 ${event.dev?.f1 ?? '?'}\n`);
      else if (event.event === 'done') process.stderr.write(`${at}: scoring its ${Math.ceil((sentences.length - fold) / folds)} held-out sentences\n`);
    },
  });
  const stop = () => run.cancel();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const all = await run.finished;
    let next = 0;
    return { files, views: files.map((file) => all.slice(next, (next += file.sentences.length))) };
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The file's gold as review reads it, and its reviewed types. */
export function reviewFile(path: string, layout: Layout, sentences: TokenLine[][], predicted: ReadonlySet<string>, requested?: ReadonlySet<string>): ReviewFile {
  const { types, notPredicted } = reviewedTypes(layout.typeCounts.keys(), predicted, requested);
  if (types.length === 0) throw new Error(`${path}: the model predicts none of its entity types (${notPredicted.join(', ')}); it predicts ${[...predicted].join(', ')}`);
  const gold = sentences.map((tokens) => convertSentence(tokens, layout, 'IOB2').map((tag) => tag ?? 'O'));
  return { path, sentences, words: sentences.map(wordsOf), gold, types, notPredicted };
}

/** The model's view of a file, run now, with progress on stderr. */
export function modelRun(engine: NerEngine): (file: ReviewFile) => Promise<ModelView[]> {
  return async (file) => {
    let shown = 0;
    const views = await modelViews(engine, file.words, file.types, {
      onProgress: (done, total) => {
        if (performance.now() - shown < 1000 && done < total) return;
        shown = performance.now();
        process.stderr.write(`\rreview: ${file.path}: ${done}/${total} sentences`);
      },
    });
    if (shown > 0) process.stderr.write('\n');
    return views;
  };
}

function limitFromArgs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a positive integer, not '${text}'`);
  return limit;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

function issueJson(file: ReviewFile, issue: LabelIssue) {
  const tokens = file.sentences[issue.sentence];
  return {
    file: file.path,
    startLine: tokens[issue.start].line.number + 1,
    endLine: tokens[issue.end - 1].line.number + 1,
    words: file.words[issue.sentence].slice(issue.start, issue.end),
    gold: issue.gold,
    suggestion: issue.suggestion,
    score: round(issue.score),
    sentenceScore: round(issue.sentenceScore),
  };
}

/** Words with their entities in brackets: `[gastric bleeding]Disease after`. */
function bracketed(words: readonly string[], tags: readonly string[]): string {
  const out = [...words];
  for (const entity of entitiesOf(tags)) {
    out[entity.start] = '[' + out[entity.start];
    out[entity.end - 1] += ']' + entity.type;
  }
  return out.join(' ');
}

function formatTable(shown: { file: ReviewFile; issue: LabelIssue }[], total: number, sentences: number, flagged: number): string {
  let out = shown.length > 0 ? `${'rank'.padStart(5)}  score  sentence  place  gold → model\n` : '';
  shown.forEach(({ file, issue }, i) => {
    const json = issueJson(file, issue);
    const lines = json.startLine === json.endLine ? `${json.startLine}` : `${json.startLine}-${json.endLine}`;
    out += `${String(i + 1).padStart(5)}  ${issue.score.toFixed(3)}  ${issue.sentenceScore.toFixed(3).padStart(8)}  ${file.path}:${lines}  `;
    out += `${bracketed(json.words, issue.gold)} → ${bracketed(json.words, issue.suggestion)}\n`;
  });
  return out + `${total} suspected label error(s) in ${flagged} of ${sentences} sentences${shown.length < total ? `; the first ${shown.length} shown` : ''}\n`;
}
