/**
 * The tables of the corpus statistics and of an evaluation, as rows of cells: `bioner stats` and `bioner eval` print
 * them, the Markdown export writes them and the report views draw them, so every form shows the same figures.
 */
import type { CorpusStats } from '../corpus/stats';
import type { Evaluation, ScoreCell, Scores } from '../eval/score';
import { ENTITY_LENGTH_LABELS, entityLengthLabel, RARE_TYPE_EXAMPLES, sentenceLengthLabels } from './buckets';

export type Cell = string | number;

export interface ReportTable {
  /** Which table it is, for the views that draw a chart beside it. */
  id: 'splits' | 'sentenceLength' | 'entityTypes' | 'leakage' | 'memorization' | 'cooccurrence' | 'ambiguousForms' | 'scores';
  title: string;
  /** Column names; the first column names the rows. */
  header: string[];
  rows: Cell[][];
}

export const percent = (share: number, digits = 1): string => `${(100 * share).toFixed(digits)}%`;

/** A count, a decimal or a percentage: right-aligned in every table. */
export const isNumeric = (cell: Cell): boolean => typeof cell === 'number' || /^-?[\d.]+%?$/.test(cell);

/** An untyped entity (tags `B`, `I`) has the type ''. */
export const typeLabel = (type: string): string => type || '(untyped)';

export function statsTables(stats: CorpusStats): ReportTable[] {
  const names = stats.splits.map((s) => s.split);
  const types = [...new Set(stats.splits.flatMap((s) => Object.keys(s.entities)))].sort();
  const tables: ReportTable[] = [
    {
      id: 'splits',
      title: 'Splits',
      header: ['split', 'files', 'sentences', 'tokens', 'entities', ...ENTITY_LENGTH_LABELS.map((l) => `len ${l}`)],
      rows: stats.splits.map((s) => [s.split, s.files.length, s.sentences, s.tokens, s.entityLengths.reduce((a, b) => a + b, 0), ...s.entityLengths]),
    },
    {
      id: 'sentenceLength',
      title: 'Sentence length (tokens)',
      header: ['split', 'min', 'median', 'mean', 'max', ...sentenceLengthLabels()],
      rows: stats.splits.map((s) => [s.split, s.sentenceLength.min, s.sentenceLength.median, s.sentenceLength.mean.toFixed(1), s.sentenceLength.max, ...s.sentenceLength.histogram]),
    },
    { id: 'entityTypes', title: 'Entities per type', header: ['type', ...names], rows: types.map((type) => [typeLabel(type), ...stats.splits.map((s) => s.entities[type] ?? 0)]) },
  ];
  if (stats.leakage.length) {
    tables.push({
      id: 'leakage',
      title: 'Leakage: sentences (of 3 or more words) also in train',
      header: ['split', 'sentences', 'in train', 'share', 'other tags'],
      rows: stats.leakage.map((l) => [l.split, l.sentences, l.inTrain, percent(l.share), l.differentTags]),
    });
  }
  if (stats.memorization.length) {
    tables.push({
      id: 'memorization',
      title: 'Mentions against train (exact words)',
      header: ['split', 'mentions', 'seen, same type', 'share', 'unseen', 'share'],
      rows: stats.memorization.map((m) => [m.split, m.mentions, m.seenWithType, percent(m.seenWithTypeShare), m.unseen, percent(m.unseenShare)]),
    });
  }
  const { cooccurrence } = stats;
  if (cooccurrence.types.length > 1) {
    tables.push({
      id: 'cooccurrence',
      title: 'Label co-occurrence: sentences holding both types (diagonal: sentences holding the type)',
      header: ['type', ...cooccurrence.types.map(typeLabel)],
      rows: cooccurrence.types.map((type, i) => [typeLabel(type), ...cooccurrence.sentences[i]]),
    });
  }
  if (cooccurrence.ambiguousForms > 0) {
    const listed = cooccurrence.topAmbiguousForms.length;
    tables.push({
      id: 'ambiguousForms',
      title: `Surface forms annotated with more than one type: ${cooccurrence.ambiguousForms}${listed < cooccurrence.ambiguousForms ? ` (the ${listed} with the most mentions)` : ''}`,
      header: ['form', 'mentions', 'types'],
      rows: cooccurrence.topAmbiguousForms.map((f) => [f.form, f.mentions, Object.entries(f.types).map(([type, n]) => `${typeLabel(type)} ${n}`).join(', ')]),
    });
  }
  return tables;
}

/** "Types with ≤ 50 entities in train: X (3), Y (12)", or "…: none". */
export function rareTypesLine(stats: CorpusStats): string {
  const inTrain = stats.splits.some((s) => s.split === 'train') ? ' in train' : '';
  const listed = stats.rareTypes.map((t) => `${typeLabel(t.type)} (${t.entities})`).join(', ');
  return `Types with ≤ ${RARE_TYPE_EXAMPLES} entities${inTrain}: ${listed || 'none'}`;
}

/** A row of the score table: overall, then one per type, then one per entity length. */
export interface ScoreRow {
  label: string;
  row: ScoreCell['row'];
  scores: Scores;
}

export function scoreRows(e: Evaluation): ScoreRow[] {
  return [
    { label: 'overall', row: 'overall', scores: e },
    ...Object.entries(e.perType).map(([type, scores]) => ({ label: `type ${typeLabel(type)}`, row: { type }, scores })),
    ...Object.entries(e.perLength).map(([length, scores]) => ({ label: `length ${entityLengthLabel(length)}`, row: { length } as ScoreCell['row'], scores })),
  ];
}

const SCORE_COLUMNS = ['strict P', 'strict R', 'strict F1', 'relaxed P', 'relaxed R', 'relaxed F1', 'gold', 'predicted'];

export function evaluationTable(e: Evaluation): ReportTable {
  return {
    id: 'scores',
    title: 'Entity-level scores (%)',
    header: ['', ...SCORE_COLUMNS],
    rows: scoreRows(e).map(({ label, scores: { strict, relaxed } }) => [
      label,
      ...[strict, relaxed].flatMap((prf) => [prf.precision, prf.recall, prf.f1].map((x) => (100 * x).toFixed(2))),
      strict.gold,
      strict.predicted,
    ]),
  };
}
