/**
 * A model scored on a gold BIO file: `bioner eval --model` and the editor's evaluation view both run this, so that
 * they give the same numbers for the same file, model and types.
 */
import { wordsOf } from '../conll/corpus';
import type { Layout } from '../conll/layout';
import { tagOf, type TokenLine } from '../conll/reader';
import { parseTag, type Tag } from '../conll/tags';
import { bioScope } from '../ner/abbreviationTypes';
import type { NerEngine, PredictOptions } from '../ner/engine';
import { comparedTypes } from '../ner/entityTypes';
import { predictWithAbbreviations } from '../ner/predictDocument';
import { evaluate, type Evaluation } from './score';

/** What a gold file gives the evaluation: its type counts, sentences and -DOCSTART- lines (as readBioFile reads them). */
export interface GoldFile {
  layout: Pick<Layout, 'typeCounts'>;
  sentences: readonly TokenLine[][];
  docstarts: readonly number[];
}

/**
 * The types a model is scored on unless the user names them: the gold file's own when the model predicts others
 * besides (the default model's Species are no errors on BC5CDR); undefined, every type, otherwise.
 */
export function goldTypes(gold: GoldFile, engine: NerEngine): ReadonlySet<string> | undefined {
  return comparedTypes(gold.layout.typeCounts.keys(), engine.entityTypes);
}

export interface ModelEvaluationOptions extends Pick<PredictOptions, 'isCancelled' | 'onProgress'> {
  /** The types predicted and scored (undefined: every type): goldTypes, unless the user chose others. */
  types: ReadonlySet<string> | undefined;
  /** Give abbreviations the types of their definitions, within each -DOCSTART- document (as annotate and the editor do). */
  abbreviations: boolean;
  /** List the errors behind the counts. */
  errors?: boolean;
}

export async function evaluateModel(engine: NerEngine, gold: GoldFile, options: ModelEvaluationOptions): Promise<Evaluation> {
  const { types, isCancelled, onProgress } = options;
  const scope = options.abbreviations ? bioScope(gold.sentences.map((tokens) => tokens[0].line.number), gold.docstarts) : undefined;
  const predictions = await predictWithAbbreviations(engine, gold.sentences.map(wordsOf), { types, isCancelled, onProgress }, scope);
  const goldTags = gold.sentences.map((tokens) => tokens.map(tagOf));
  return evaluate(goldTags, predictions.map((p) => p.labels.map(toTag)), { errors: options.errors });
}

function toTag(label: string): Tag | null {
  const parsed = parseTag(label);
  return parsed.ok ? parsed.tag : null;
}
