/**
 * Likely label errors, ranked (confident learning for token classification, Wang & Mueller 2022): each gold tag is
 * scored by the model's probability of it, each gold entity and O token by its worst token, each sentence by its
 * worst token; low-scoring places where the model's tags differ from gold become review items.
 */
import { tagsForChunks } from '../conll/convert';
import { chunkEntities, type Chunk } from '../conll/sequence';
import { parseTag } from '../conll/tags';
import type { NerEngine, PredictOptions } from '../ner/engine';
import { collapseTypes, modelViews, type ModelView, type TagProbabilities } from './tagProbabilities';

export type Scoring = 'self-confidence' | 'normalized-margin';
export const SCORINGS = { enum: ['self-confidence', 'normalized-margin'], default: 'self-confidence' } as const;

export interface ScoreOptions {
  /**
   * `self-confidence` (default): the probability of the gold label; `normalized-margin`: (p(gold) − the largest
   * probability of another label + 1) / 2, which also weighs how sure the model is of its alternative.
   */
  scoring?: Scoring;
  /** `iob2` (default): B- and I- are different labels, so a boundary error counts; `class`: O or the type only. */
  view?: 'iob2' | 'class';
}

export interface RankOptions extends ScoreOptions {
  /** A gold entity or O token scoring under it is suspect (default 0.5: the model finds gold less likely than not). */
  threshold?: number;
}

/** A place whose gold tags the model doubts, with its tags instead. */
export interface LabelIssue {
  /** Index of the sentence among those reviewed. */
  sentence: number;
  /** First word of the region (0-based). */
  start: number;
  /** Word after the region's last (exclusive). */
  end: number;
  /** The gold IOB2 tags over [start, end); tags of types not reviewed, and unusable tags, read as O. */
  gold: string[];
  /** The model's decoded (Viterbi) IOB2 tags over [start, end); they differ from `gold`. */
  suggestion: string[];
  /** The lowest score of the gold entities and O tokens in the region, in [0, 1]: lower is more likely wrong. */
  score: number;
  /** The sentence's worst token score (its rank among sentences; Wang & Mueller 2022): items are ordered by `score`, then by it. */
  sentenceScore: number;
}

/** A gold entity (`type` set) or O token, and the lowest score of its tokens. */
export interface ScoredUnit extends Chunk {
  score: number;
}

/** A sentence's gold tags read for review, its units and their scores. */
export interface SentenceScores {
  /** Gold as canonical IOB2 over the reviewed types (tags of other types, and unusable tags, read as O). */
  gold: string[];
  /** Per token, the score of its gold tag. */
  tokens: Float64Array;
  /** Every gold entity and every O token. */
  units: ScoredUnit[];
  /** The worst token score; 1 for an empty sentence. */
  score: number;
}

/** Scores every token, gold entity and O token of a sentence against the model's probabilities. */
export function scoreSentence(gold: readonly string[], probabilities: TagProbabilities, options: ScoreOptions = {}): SentenceScores {
  const types = new Set(probabilities.labels.filter((label) => label.startsWith('B-')).map((label) => label.slice(2)));
  const entities = entitiesOf(gold).filter((chunk) => types.has(chunk.type));
  const canonical = tagsForChunks(entities, gold.length, 'IOB2');
  const view = options.view === 'class' ? collapseTypes(probabilities) : probabilities;
  const column = new Map(view.labels.map((label, k) => [label, k]));
  const width = view.labels.length;
  const tokens = new Float64Array(gold.length);
  if (view.values.length !== gold.length * width) throw new Error(`${gold.length} gold tags but probabilities for ${view.values.length / width} words`);
  canonical.forEach((tag, t) => {
    const goldColumn = column.get(options.view === 'class' ? tag.replace(/^[BI]-/, '') : tag)!;
    tokens[t] = tokenScore(view.values.subarray(t * width, (t + 1) * width), goldColumn, options.scoring ?? SCORINGS.default);
  });
  const units: ScoredUnit[] = [...entities, ...canonical.flatMap((tag, t) => (tag === 'O' ? [{ type: '', start: t, end: t + 1 }] : []))]
    .sort((a, b) => a.start - b.start)
    .map((unit) => ({ ...unit, score: lowest(tokens, unit.start, unit.end) }));
  return { gold: canonical, tokens, units, score: lowest(tokens, 0, tokens.length) };
}

function tokenScore(row: Float32Array, gold: number, scoring: Scoring): number {
  if (scoring === 'self-confidence') return row[gold];
  let other = 0;
  for (let k = 0; k < row.length; k++) if (k !== gold && row[k] > other) other = row[k];
  return (row[gold] - other + 1) / 2;
}

function lowest(values: Float64Array, start: number, end: number): number {
  let low = 1;
  for (let i = start; i < end; i++) low = Math.min(low, values[i]);
  return low;
}

/** The entities of a sentence's tag strings, chunked as conlleval does; an unusable tag reads as O. */
export function entitiesOf(tags: readonly string[]): Chunk[] {
  return chunkEntities(
    tags.map((text) => {
      const parsed = parseTag(text);
      return parsed.ok ? parsed.tag : null;
    }),
  );
}

/**
 * The review items of every sentence, most likely errors first. An item starts at a suspect unit (a gold entity or O
 * token scoring under the threshold), grows to every gold and every decoded entity overlapping it (so that both tag
 * sequences over it are whole entities, and the suggestion can replace gold as it is), and is kept only when the
 * model's decoded tags there differ from gold. Gold is read as IOB2 (conlleval's chunking); gold entities of a type
 * without a column in the probabilities are not reviewed (read as O).
 */
export function rankLabelIssues(
  gold: readonly (readonly string[])[],
  probabilities: readonly TagProbabilities[],
  decoded: readonly (readonly string[])[],
  options: RankOptions = {},
): LabelIssue[] {
  const threshold = options.threshold ?? 0.5;
  const issues: LabelIssue[] = [];
  gold.forEach((tags, s) => {
    if (decoded[s].length !== tags.length) throw new Error(`sentence ${s + 1}: ${tags.length} gold tags but ${decoded[s].length} decoded`);
    const scored = scoreSentence(tags, probabilities[s], options);
    const predicted = entitiesOf(decoded[s]);
    const goldEntities = scored.units.filter((unit) => unit.type !== '');
    const regions = mergeOverlapping(scored.units.filter((unit) => unit.score < threshold).map((unit) => grow(unit, [...goldEntities, ...predicted])));
    for (const { start, end } of regions) {
      const goldTags = scored.gold.slice(start, end);
      const suggestion = decoded[s].slice(start, end);
      if (suggestion.every((tag, i) => tag === goldTags[i])) continue;
      const score = Math.min(...scored.units.filter((unit) => unit.start < end && start < unit.end).map((unit) => unit.score));
      issues.push({ sentence: s, start, end, gold: goldTags, suggestion, score, sentenceScore: scored.score });
    }
  });
  return issues.sort(byRank);
}

/**
 * Item score, then sentence score, then place. Ordered by sentence score first, a sentence's weaker items followed its
 * worst one: on BC5CDR test with 5% noise, items' AP 54.6 against 76.1 by their own score (bench/review.ts).
 */
export function byRank(a: LabelIssue, b: LabelIssue): number {
  return a.score - b.score || a.sentenceScore - b.sentenceScore || a.sentence - b.sentence || a.start - b.start;
}

/** The range grown until no entity crosses its edges. */
function grow(range: { start: number; end: number }, entities: readonly Chunk[]): { start: number; end: number } {
  let { start, end } = range;
  for (let changed = true; changed; ) {
    changed = false;
    for (const entity of entities) {
      if (entity.start < end && start < entity.end && (entity.start < start || entity.end > end)) {
        start = Math.min(start, entity.start);
        end = Math.max(end, entity.end);
        changed = true;
      }
    }
  }
  return { start, end };
}

/** Ranges merged where they overlap, in order. */
function mergeOverlapping(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const merged: { start: number; end: number }[] = [];
  for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && range.start < last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

export interface FindOptions extends RankOptions, Pick<PredictOptions, 'isCancelled' | 'onProgress'> {
  /** The entity types reviewed (see reviewedTypes); every type the model predicts by default. */
  types?: ReadonlySet<string>;
}

/** The model run on the sentences, then rankLabelIssues on its view: one call for the editor and the tests. */
export async function findLabelIssues(
  engine: NerEngine,
  sentences: readonly (readonly string[])[],
  gold: readonly (readonly string[])[],
  options: FindOptions = {},
): Promise<LabelIssue[]> {
  const types = [...(options.types ?? engine.entityTypes)].sort();
  const views: ModelView[] = await modelViews(engine, sentences, types, options);
  return rankLabelIssues(
    gold,
    views.map((view) => view.probabilities),
    views.map((view) => view.decoded),
    options,
  );
}
