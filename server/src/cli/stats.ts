/** `bioner stats`: per corpus, sizes per split and type, lengths, train/test leakage, memorization and label co-occurrence, as tables or JSON. */
import { indexCorpora } from '../core/corpus/batch';
import { bioFiles } from '../core/corpus/discover';
import { SplitHygiene } from '../core/corpus/splits';
import { corpusStats, type CorpusStats } from '../core/corpus/stats';
import { statsJson, textTable } from '../core/reports/export';
import { rareTypesLine, statsTables } from '../core/reports/tables';
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
  const text = args.flags.has('json') ? statsJson(corpora) : corpora.map(formatStats).join('\n');
  await withOutput(args.values.output, (output) => output.write(text + '\n'));
  return 0;
}

export function formatStats(stats: CorpusStats): string {
  return `Corpus ${stats.corpus}\n${statsTables(stats).map(textTable).join('\n')}\n${rareTypesLine(stats)}\n`;
}
