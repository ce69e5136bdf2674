/** `bioner convert`: rewrites a BIO file's tags in IOB2 or IOBES, to stdout or to a new file. */
import { readFileSync } from 'node:fs';
import { convertText, type TargetScheme } from '../core/conll/convert';
import { LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { withOutput } from './output';

export async function runConvert(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['to', 'output', ...LAYOUT_OPTIONS], flags: [] });
  if (args.positional.length !== 1) throw new UsageError('convert takes one file');
  const target = (args.values.to ?? '').toUpperCase();
  if (target !== 'IOB2' && target !== 'IOBES') throw new UsageError('--to must be iob2 or iobes');
  const settings = settingsFromArgs(args.values);
  const converted = convertText(readFileSync(args.positional[0], 'utf8'), settings, target as TargetScheme);
  await withOutput(args.values.output, (output) => output.write(converted.text));
  process.stderr.write(`${converted.changed} tag(s) changed\n`);
  return 0;
}
