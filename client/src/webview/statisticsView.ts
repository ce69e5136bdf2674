/**
 * The corpus statistics view: entities per type and split, entity and sentence lengths, leakage into train, test
 * mentions against train, label co-occurrence, each beside the table `bioner stats` prints for it.
 */
import type { CorpusStatisticsResult } from '@common/protocol';
import type { CorpusStats, LabelCooccurrence } from '../../../server/src/core/corpus/stats';
import { ENTITY_LENGTH_LABELS, sentenceLengthLabels } from '../../../server/src/core/reports/buckets';
import { rareTypesLine, statsTables, typeLabel, type ReportTable } from '../../../server/src/core/reports/tables';
import { seriesColors, type Theme } from './charts';
import { card, el, tableOf } from './dom';
import { chartBox, reportHeader, type ViewContext } from './view';

const SPLIT_ORDER = ['train', 'dev', 'test'];

export function statisticsView({ stats, unreadable }: CorpusStatisticsResult, context: ViewContext): HTMLElement {
  const tables = new Map(statsTables(stats).map((table) => [table.id, table]));
  const table = (id: ReportTable['id']) => tables.get(id) && tableOf(tables.get(id)!);
  const colorOf = splitColors(stats, context.theme);
  const files = stats.splits.map((s) => `${s.split}: ${s.files.map(baseName).join(', ')}`).join(' · ');
  const byType = tables.get('entityTypes')!;
  const share = (part: number, whole: number) => (whole ? (100 * part) / whole : 0);
  const perSplit = (values: (s: CorpusStats['splits'][number]) => number[], whole: (s: CorpusStats['splits'][number]) => number) =>
    stats.splits.map((s) => ({
      label: s.split,
      color: colorOf(s.split),
      data: values(s).map((n) => share(n, whole(s))),
      details: values(s).map((n) => `${n.toLocaleString('en')} of ${whole(s).toLocaleString('en')}`),
    }));
  const entitiesOf = (s: CorpusStats['splits'][number]) => s.entityLengths.reduce((a, b) => a + b, 0);
  return el(
    'div',
    { class: 'report statistics' },
    reportHeader('Corpus statistics', [stats.corpus, files], context),
    unreadable.length > 0 && el('p', { class: 'warning' }, `Not read: ${unreadable.map((u) => `${baseName(u.file)} (${u.reason})`).join('; ')}`),
    el(
      'div',
      { class: 'grid' },
      card('Splits', table('splits'), el('p', { class: 'note' }, rareTypesLine(stats))),
      card(
        'Entities per type and split',
        chartBox(context, {
          labels: byType.rows.map((row) => String(row[0])),
          series: stats.splits.map((s, i) => ({ label: s.split, color: colorOf(s.split), data: byType.rows.map((row) => Number(row[i + 1])) })),
          axisTitle: 'entities',
        }),
        table('entityTypes'),
      ),
      card(
        'Entity length (tokens)',
        chartBox(context, { labels: [...ENTITY_LENGTH_LABELS], series: perSplit((s) => s.entityLengths, entitiesOf), percent: true, axisTitle: '% of entities' }),
        el('p', { class: 'note' }, 'Counts: the len columns of Splits. Longer entities are the harder ones for a model.'),
      ),
      card(
        'Sentence length (tokens)',
        chartBox(context, { labels: sentenceLengthLabels(), series: perSplit((s) => s.sentenceLength.histogram, (s) => s.sentences), percent: true, axisTitle: '% of sentences' }),
        table('sentenceLength'),
      ),
      stats.leakage.length > 0 &&
        card(
          'Leakage into train',
          chartBox(context, {
            labels: stats.leakage.map((l) => l.split),
            series: [
              { label: 'same tags as in train', color: context.theme.orange, data: stats.leakage.map((l) => share(l.inTrain - l.differentTags, l.sentences)), details: stats.leakage.map((l) => `${l.inTrain - l.differentTags} sentences`) },
              { label: 'other tags than in train', color: context.theme.red, data: stats.leakage.map((l) => share(l.differentTags, l.sentences)), details: stats.leakage.map((l) => `${l.differentTags} sentences`) },
            ],
            percent: true,
            stacked: true,
            horizontal: true,
            axisTitle: '% of sentences',
          }, 'short'),
          table('leakage'),
        ),
      stats.memorization.length > 0 &&
        card(
          'Mentions against train',
          chartBox(context, {
            labels: stats.memorization.map((m) => m.split),
            series: [
              { label: 'seen in train, same type', color: context.theme.green, data: stats.memorization.map((m) => 100 * m.seenWithTypeShare), details: stats.memorization.map((m) => `${m.seenWithType} mentions`) },
              { label: 'seen in train as another type only', color: context.theme.yellow, data: stats.memorization.map((m) => share(m.mentions - m.seenWithType - m.unseen, m.mentions)), details: stats.memorization.map((m) => `${m.mentions - m.seenWithType - m.unseen} mentions`) },
              { label: 'unseen in train', color: context.theme.red, data: stats.memorization.map((m) => 100 * m.unseenShare), details: stats.memorization.map((m) => `${m.unseen} mentions`) },
            ],
            percent: true,
            stacked: true,
            horizontal: true,
            axisTitle: '% of mentions',
          }, 'short'),
          table('memorization'),
        ),
      stats.leakage.length === 0 && el('p', { class: 'note wide' }, 'No train file in this folder (its name says train, dev or test): leakage and mentions against train need one.'),
      tables.has('cooccurrence') &&
        card(
          'Label co-occurrence',
          el('p', { class: 'note' }, 'Sentences holding an entity of both types (every split); the diagonal counts the sentences holding the type. Types that meet often need guidelines that agree where they meet.'),
          heatmap(tables.get('cooccurrence')!, stats.cooccurrence, context.theme),
        ),
      tables.has('ambiguousForms') && card('Words annotated with more than one type', el('p', { class: 'note' }, ambiguousNote(stats.cooccurrence)), table('ambiguousForms')),
    ),
  );
}

function ambiguousNote({ ambiguousForms, topAmbiguousForms }: LabelCooccurrence): string {
  const listed = topAmbiguousForms.length < ambiguousForms ? `; the ${topAmbiguousForms.length} with the most mentions` : '';
  return `${ambiguousForms} in all${listed}. Each is a type conflict to settle, or an ambiguity for the guidelines to document.`;
}

/** train, dev and test keep their colours in every chart; other files take the next ones. */
function splitColors(stats: CorpusStats, theme: Theme): (split: string) => string {
  const colors = seriesColors(theme);
  const others = stats.splits.map((s) => s.split).filter((split) => !SPLIT_ORDER.includes(split));
  return (split) => colors[(SPLIT_ORDER.includes(split) ? SPLIT_ORDER.indexOf(split) : SPLIT_ORDER.length + others.indexOf(split)) % colors.length];
}

/** The co-occurrence table with each off-diagonal cell shaded by its count, the largest the darkest. */
function heatmap(table: ReportTable, cooccurrence: LabelCooccurrence, theme: Theme): HTMLElement {
  const element = tableOf(table, 'figures heatmap');
  const { types, sentences } = cooccurrence;
  const largest = Math.max(1, ...sentences.flatMap((row, i) => row.filter((_, j) => j !== i)));
  element.querySelectorAll('tbody tr').forEach((row, i) => {
    row.querySelectorAll('td').forEach((cell, j) => {
      const count = sentences[i][j];
      if (i === j) {
        cell.classList.add('diagonal');
        cell.title = `${count} sentences hold ${typeLabel(types[i])}`;
        return;
      }
      cell.title = `${count} sentences hold both ${typeLabel(types[i])} and ${typeLabel(types[j])}`;
      if (count > 0) cell.style.backgroundColor = `color-mix(in srgb, ${theme.blue} ${Math.round(15 + (55 * count) / largest)}%, transparent)`;
    });
  });
  return element;
}

const baseName = (file: string) => file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
