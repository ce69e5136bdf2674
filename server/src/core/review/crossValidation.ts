/**
 * Out-of-sample label probabilities for a user's own corpus, by K-fold cross-validation through the trainer: each
 * sentence is scored by a model trained on the other folds, so no model judges labels it has memorised.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { bioSentence } from '../conll/write';
import { Cancelled } from '../ner/cancelled';
import { NerEngine } from '../ner/engine';
import { startTraining, type TrainEvent, type TrainRun } from '../train/trainer';
import { modelViews, type ModelView } from './tagProbabilities';

export interface LabelledSentence {
  words: readonly string[];
  /** IOB2 tags. */
  gold: readonly string[];
}

export interface CrossValidationOptions {
  folds: number;
  /** Each fold's training time budget (the trainer's --max-minutes). */
  minutesPerFold: number;
  python: string;
  /** Where the folds' data and models go; the caller creates and removes it. */
  workDir: string;
  /** The entity types scored. */
  types: readonly string[];
  /** Further trainer arguments. */
  extra?: string[];
  onEvent?: (fold: number, event: TrainEvent) => void;
  onLog?: (line: string) => void;
}

export interface CrossValidationRun {
  /** Every sentence's view, in order; rejects when a fold fails, or with Cancelled when the run is cancelled. */
  finished: Promise<ModelView[]>;
  /** Stops the fold in training (the trainer stops cleanly) and every later one. */
  cancel(): void;
}

/**
 * The trainer selects its best epoch on every DEV_EVERY-th training sentence, which it also trains on: a dev set apart
 * could hold a type the fold's train lacks, which the trainer rejects. The held-out fold stays unseen either way.
 */
const DEV_EVERY = 10;

/**
 * Sentence i is in fold i mod K: each fold gets a share of every document, so its model has seen the corpus's
 * other documents and the rest of this one, but never the sentence itself.
 */
export function foldOf(sentence: number, folds: number): number {
  return sentence % folds;
}

export function startCrossValidation(sentences: readonly LabelledSentence[], options: CrossValidationOptions): CrossValidationRun {
  if (!Number.isInteger(options.folds) || options.folds < 2) throw new Error(`cross-validation needs at least 2 folds, not ${options.folds}`);
  if (sentences.length < options.folds * 2) throw new Error(`${sentences.length} sentences are too few for ${options.folds} folds`);
  let cancelled = false;
  let training: TrainRun | undefined;
  const run = async (): Promise<ModelView[]> => {
    const views: ModelView[] = new Array(sentences.length);
    for (let fold = 0; fold < options.folds; fold++) {
      const held = sentences.map((_, i) => i).filter((i) => foldOf(i, options.folds) === fold);
      const rest = sentences.filter((_, i) => foldOf(i, options.folds) !== fold);
      const dir = path.join(options.workDir, `fold-${fold + 1}`);
      mkdirSync(dir, { recursive: true });
      const train = writeBio(path.join(dir, 'train.bio'), rest);
      const dev = writeBio(path.join(dir, 'dev.bio'), rest.filter((_, k) => k % DEV_EVERY === 0));
      if (cancelled) throw new Cancelled();
      training = startTraining(
        options.python,
        { train: [train], dev, out: path.join(dir, 'model'), maxMinutes: options.minutesPerFold, extra: options.extra },
        { onEvent: (event) => options.onEvent?.(fold, event), onLog: options.onLog },
      );
      const result = await training.finished;
      if (cancelled) throw new Cancelled();
      if (result.event === 'error') throw new Error(`fold ${fold + 1} of ${options.folds}: training failed: ${result.message}`);
      const engine = await NerEngine.load(result.out);
      try {
        const scored = await modelViews(engine, held.map((i) => sentences[i].words), options.types, { isCancelled: () => cancelled });
        held.forEach((i, k) => (views[i] = scored[k]));
      } finally {
        await engine.dispose();
      }
    }
    return views;
  };
  return {
    finished: run(),
    cancel: () => {
      cancelled = true;
      training?.cancel();
    },
  };
}

/** A BIO file the trainer reads: word, tab, tag. A space inside a word (tab-separated files allow it) would split it. */
function writeBio(file: string, sentences: readonly LabelledSentence[]): string {
  const text = sentences.map((s) => bioSentence(s.words.map((word) => word.replace(/\s/g, '_')), s.gold)).join('');
  writeFileSync(file, text);
  return file;
}
