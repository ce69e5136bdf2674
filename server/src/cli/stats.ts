/** `bioner stats`: per corpus, sizes per split and type, lengths, train/test leakage and memorization, as tables or JSON. */
import { indexCorpora } from '../core/corpus/batch';
import { bioFiles } from '../core/corpus/discover';
import { SplitHygiene } from '../core/corpus/splits';
import { corpusStats, RARE_TYPE_EXAMPLES, SENTENCE_LENGTH_BUCKETS, type CorpusStats } from '../core/corpus/stats';
import { CORPUS_OPTIONS, corpusOptionsFromArgs, LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { withOutput } from './output';

export async function runStats(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['output', ...LAYOUT_OPTIONS, ...CORPUS_OPTIONS], flags: ['json'] });
  if (args.positional.length === 0) throw new UsageError('stats needs at least one file or folder');
  const settings = settingsFromArgs(args.values);
  const files = await bioFiles(args.positional, settings.tagColumn);
  if (files.length === 0) throw new Error(`no BIO file in ${args.positional.join(', ')}`);
  const corpora: CorpusStats[] = [];
  for await (const corpus of indexCorpora(files, corpusOptionsFromArgs(args, settings), [() => new SplitHygiene()])) {
    const [unreadable] = corpus.errors;
    if (unreadable) throw new Error(`cannot read ${unreadable[0]}: ${unreadable[1]}`);
    corpora.push(corpusStats(corpus.key, corpus.detectors[0]));
  }
  const text = args.flags.has('json') ? JSON.stringify({ corpora }, null, 2) : corpora.map(formatStats).join('\n');
  await withOutput(args.values.output, (output) => output.write(text + '\n'));
  return 0;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Columns right-aligned after a left-aligned first one, each as wide as its widest cell. */
function table(rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n') + '\n';
}

export function formatStats(stats: CorpusStats): string {
  const names = stats.splits.map((s) => s.split);
  const buckets = [...SENTENCE_LENGTH_BUCKETS.map((b) => `≤${b}`), `>${SENTENCE_LENGTH_BUCKETS[SENTENCE_LENGTH_BUCKETS.length - 1]}`];
  let out = `Corpus ${stats.corpus}\n`;
  out += table([
    ['split', 'files', 'sentences', 'tokens', 'entities', 'len 1', 'len 2', 'len ≥3'],
    ...stats.splits.map((s) => [s.split, s.files.length, s.sentences, s.tokens, s.entityLengths.reduce((a, b) => a + b, 0), ...s.entityLengths]),
  ]);
  out += '\nSentence length (tokens)\n';
  out += table([
    ['split', 'min', 'median', 'mean', 'max', ...buckets],
    ...stats.splits.map((s) => [s.split, s.sentenceLength.min, s.sentenceLength.median, s.sentenceLength.mean.toFixed(1), s.sentenceLength.max, ...s.sentenceLength.histogram]),
  ]);
  const types = [...new Set(stats.splits.flatMap((s) => Object.keys(s.entities)))].sort();
  out += '\nEntities per type\n';
  out += table([['type', ...names], ...types.map((type) => [type || '(untyped)', ...stats.splits.map((s) => s.entities[type] ?? 0)])]);
  out += `\nTypes with ≤ ${RARE_TYPE_EXAMPLES} entities${names.includes('train') ? ' in train' : ''}: `;
  out += stats.rareTypes.length ? stats.rareTypes.map((t) => `${t.type} (${t.entities})`).join(', ') : 'none';
  out += '\n';
  if (stats.leakage.length) {
    out += '\nLeakage: sentences (of 3 or more words) also in train\n';
    out += table([
      ['split', 'sentences', 'in train', 'share', 'other tags'],
      ...stats.leakage.map((l) => [l.split, l.sentences, l.inTrain, pct(l.share), l.differentTags]),
    ]);
  }
  if (stats.memorization.length) {
    out += '\nMentions against train (exact words)\n';
    out += table([
      ['split', 'mentions', 'seen, same type', 'share', 'unseen', 'share'],
      ...stats.memorization.map((m) => [m.split, m.mentions, m.seenWithType, pct(m.seenWithTypeShare), m.unseen, pct(m.unseenShare)]),
    ]);
  }
  return out;
}
