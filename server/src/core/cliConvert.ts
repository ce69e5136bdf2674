/** `bioner convert`: rewrites a BIO file's tags in IOB2 or IOBES, to stdout or to a new file. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BionerSettings } from '@common/settings';
import { LayoutScanner } from './conll/layout';
import { conversionEdits, type TargetScheme } from './conll/convert';
import { LineIndex } from './text/lines';
import { applyLineEdits } from './text/edits';
import { parseArgs, UsageError } from './cliArgs';

export async function runConvert(argv: string[], settingsFromArgs: (values: Record<string, string | undefined>) => BionerSettings): Promise<number> {
  const args = parseArgs(argv, { values: ['to', 'output', 'tag-column', 'scheme'], flags: [] });
  if (args.positional.length !== 1) throw new UsageError('convert takes one file');
  const target = (args.values.to ?? '').toUpperCase();
  if (target !== 'IOB2' && target !== 'IOBES') throw new UsageError('--to must be iob2 or iobes');
  const settings = settingsFromArgs(args.values);
  const index = new LineIndex(readFileSync(args.positional[0], 'utf8'));
  const scanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  for (const line of index.lines()) scanner.push(line);
  const edits = conversionEdits(index.lines(), scanner.finish(), target as TargetScheme);
  const converted = applyLineEdits(index, edits);
  if (args.values.output) writeFileSync(args.values.output, converted);
  else process.stdout.write(converted);
  process.stderr.write(`${edits.length} tag(s) changed\n`);
  return 0;
}
