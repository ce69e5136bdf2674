/**
 * The evaluation view: strict and relaxed precision, recall and F1 per type and per entity length, as charts and as
 * the table `bioner eval` prints; each score lists the errors it counts, and each error opens its place in the file.
 */
import type { EvaluationErrorItem } from '@common/protocol';
import { cellErrors, type ScoreCell } from '../../../server/src/core/eval/score';
import { scoreRows, typeLabel, type ScoreRow } from '../../../server/src/core/reports/tables';
import type { BarSeries } from './charts';
import { card, el, scrolling } from './dom';
import type { Report } from './messages';
import { chartBox, reportHeader, type ViewContext } from './view';

/** Errors listed at once for one cell; a larger list says how many more there are. */
const LISTED_ERRORS = 500;

type Measure = ScoreCell['measure'];
const MEASURES: Measure[] = ['precision', 'recall', 'f1'];
const MATCHINGS: ScoreCell['matching'][] = ['strict', 'relaxed'];
const MEASURE_NAMES: Record<Measure, string> = { precision: 'precision', recall: 'recall', f1: 'F1' };

export function evaluationView(report: Extract<Report, { kind: 'evaluation' }>, context: ViewContext): HTMLElement {
  const { result } = report;
  const { evaluation } = result;
  const rows = scoreRows(evaluation);
  const types = result.types ? result.types.map(typeLabel).join(', ') : 'every type the model predicts';
  const errorsPanel = el('div', { class: 'errors', 'aria-live': 'polite' });
  const table = scoreTable(rows, (key) => {
    context.setState({ ...context.state, cell: key });
    showErrors(errorsPanel, rows, key, result.errors, context);
    for (const button of table.querySelectorAll('button.score')) button.setAttribute('aria-pressed', String(button.getAttribute('data-cell') === key));
  });
  const byType = rows.filter((row) => row.row === 'overall' || 'type' in row.row);
  const byLength = rows.filter((row) => row.row !== 'overall' && 'length' in row.row);
  const view = el(
    'div',
    { class: 'report evaluation' },
    reportHeader(
      'Model evaluation',
      [
        `${report.file} · model “${result.model}” · scored on ${types} · abbreviation types ${result.abbreviations ? 'on' : 'off'}`,
        `${evaluation.sentences.toLocaleString('en')} sentences, ${evaluation.tokens.toLocaleString('en')} tokens · ${evaluation.strict.gold} gold and ${evaluation.strict.predicted} predicted entities · conlleval chunking (an I- after O starts an entity)`,
      ],
      context,
    ),
    el(
      'div',
      { class: 'grid' },
      card('Per type', chartBox(context, { labels: byType.map((r) => r.label.replace(/^type /, '')), series: measureSeries(byType, context), percent: true, axisTitle: '%' })),
      card('Per entity length (tokens)', chartBox(context, { labels: byLength.map((r) => r.label.replace(/^length /, '')), series: measureSeries(byLength, context), percent: true, axisTitle: '%' })),
      el(
        'section',
        { class: 'card wide' },
        el('h2', {}, 'Scores (%)'),
        el('p', { class: 'note' }, 'Click a score to list the errors it counts: false positives for precision, false negatives for recall, both for F1. Relaxed matching takes an overlap of the same type as a match.'),
        scrolling(table),
        errorsPanel,
      ),
    ),
  );
  if (context.state.cell && rows.some((row) => context.state.cell!.startsWith(`${keyOf(row)}|`))) table.querySelector<HTMLButtonElement>(`button[data-cell="${CSS.escape(context.state.cell)}"]`)?.click();
  else errorsPanel.append(el('p', { class: 'hint' }, 'No score chosen yet.'));
  return view;
}

/** Strict precision, recall and F1 and relaxed F1 of each row, in percent. */
function measureSeries(rows: ScoreRow[], context: ViewContext): BarSeries[] {
  const { blue, orange, green, purple } = context.theme;
  const series = (label: string, color: string, pick: (row: ScoreRow) => number, count: (row: ScoreRow) => string): BarSeries => ({
    label,
    color,
    data: rows.map((row) => 100 * pick(row)),
    details: rows.map(count),
  });
  return [
    series('strict precision', blue, (r) => r.scores.strict.precision, (r) => `${r.scores.strict.correctPredicted} of ${r.scores.strict.predicted} predicted`),
    series('strict recall', orange, (r) => r.scores.strict.recall, (r) => `${r.scores.strict.foundGold} of ${r.scores.strict.gold} gold`),
    series('strict F1', green, (r) => r.scores.strict.f1, () => ''),
    series('relaxed F1', purple, (r) => r.scores.relaxed.f1, () => ''),
  ];
}

const keyOf = (row: ScoreRow) => (row.row === 'overall' ? 'overall' : 'type' in row.row ? `type:${row.row.type}` : `length:${row.row.length}`);

/** The score table; every precision, recall and F1 is a button that lists its errors. */
function scoreTable(rows: ScoreRow[], choose: (key: string) => void): HTMLTableElement {
  const body = rows.map((row) => {
    const cells = MATCHINGS.flatMap((matching) =>
      MEASURES.map((measure) => {
        const key = `${keyOf(row)}|${matching}|${measure}`;
        const button = el('button', { type: 'button', class: 'score', 'data-cell': key, 'aria-pressed': 'false', title: `List the errors behind ${matching} ${MEASURE_NAMES[measure]} (${row.label})` }, (100 * row.scores[matching][measure]).toFixed(2));
        button.addEventListener('click', () => choose(key));
        return el('td', {}, button);
      }),
    );
    return el('tr', {}, el('th', { scope: 'row' }, row.label), ...cells, el('td', {}, String(row.scores.strict.gold)), el('td', {}, String(row.scores.strict.predicted)));
  });
  // Two header rows (strict | relaxed | entities, then P R F1…): narrow enough for a panel beside the file.
  const groups = el('tr', {}, el('th', {}, ''), ...MATCHINGS.map((m) => el('th', { scope: 'colgroup', colspan: '3', class: 'group' }, m)), el('th', { scope: 'colgroup', colspan: '2', class: 'group' }, 'entities'));
  const names = el('tr', {}, el('th', {}, ''), ...MATCHINGS.flatMap(() => ['P', 'R', 'F1'].map((name) => el('th', { scope: 'col' }, name))), el('th', { scope: 'col' }, 'gold'), el('th', { scope: 'col' }, 'predicted'));
  return el('table', { class: 'figures scores' }, el('thead', {}, groups, names), el('tbody', {}, ...body));
}

function cellOf(rows: ScoreRow[], key: string): { row: ScoreRow; cell: ScoreCell } {
  const [rowKey, matching, measure] = key.split('|') as [string, ScoreCell['matching'], Measure];
  const row = rows.find((r) => keyOf(r) === rowKey)!;
  return { row, cell: { row: row.row, matching, measure } };
}

function showErrors(panel: HTMLElement, rows: ScoreRow[], key: string, errors: EvaluationErrorItem[], context: ViewContext): void {
  const { row, cell } = cellOf(rows, key);
  const listed = cellErrors(errors, cell);
  const positives = listed.filter((e) => e.kind === 'false-positive').length;
  const counts = [cell.measure !== 'recall' && `${positives} false positive${positives === 1 ? '' : 's'}`, cell.measure !== 'precision' && `${listed.length - positives} false negative${listed.length - positives === 1 ? '' : 's'}`].filter(Boolean).join(', ');
  const heading = el('h3', {}, `${cell.matching} ${MEASURE_NAMES[cell.measure]} · ${row.label}: ${counts}`);
  if (listed.length === 0) {
    panel.replaceChildren(heading, el('p', { class: 'hint' }, 'No error: every entity here matches.'));
    return;
  }
  const items = listed.slice(0, LISTED_ERRORS).map((error) => {
    const button = el('button', { type: 'button', class: 'error', title: `Show line ${error.range.start.line + 1} in the editor` }, ...errorParts(error));
    button.addEventListener('click', () => context.post({ kind: 'reveal', range: error.range }));
    return el('li', {}, button);
  });
  const more = listed.length > LISTED_ERRORS && el('p', { class: 'hint' }, `The first ${LISTED_ERRORS} of ${listed.length}; export the file's errors with bioner eval and the model's tags with bioner annotate.`);
  panel.replaceChildren(heading, el('ol', { class: 'error-list' }, ...items), more || '');
}

/** An error as read in a list: kind, type and words, its line, the words around it, and what the other side has there. */
function errorParts(error: EvaluationErrorItem): Node[] {
  const positive = error.kind === 'false-positive';
  const other = error.overlapping.length
    ? error.overlapping.map((o) => `${typeLabel(o.type)} “${o.text}”`).join(', ')
    : 'no entity';
  return [
    el('span', { class: `badge ${positive ? 'fp' : 'fn'}`, title: positive ? 'false positive: predicted, not in gold' : 'false negative: in gold, not predicted' }, positive ? 'FP' : 'FN'),
    el('span', { class: 'entity' }, `${typeLabel(error.type)} “${error.text}”`),
    el('span', { class: 'line' }, `line ${error.range.start.line + 1}`),
    el('span', { class: 'context' }, error.before ? `… ${error.before} ` : '', el('mark', {}, error.text), error.after ? ` ${error.after} …` : ''),
    el('span', { class: 'other' }, `${positive ? 'gold' : 'model'}: ${other}${error.relaxed ? '' : ' · a match under relaxed matching'}`),
  ];
}
