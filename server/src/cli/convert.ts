/**
 * `bioner convert`: BIO (IOB2/IOBES) and doccano, Label Studio, Prodigy and brat files into each other, and generative
 * taggers' answers aligned to a gold BIO file. Exit code 1 when something could not be represented, else 0.
 */
import { convertFile, describeConversion, outputFiles, outputsAt, overwrittenInput, type Conversion } from '../core/formats/convertFile';
import { GENERATIVE_STYLES } from '../core/formats/generative';
import { importGenerative } from '../core/formats/importGenerative';
import { SOURCE_FORMATS, TARGET_FORMATS, type TargetFormat } from '../core/formats/model';
import { TEXT_KINDS } from '../core/formats/words';
import { choice, LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { withOutput } from './output';

const TARGETS = { enum: TARGET_FORMATS, default: TARGET_FORMATS[0] };
const SOURCES = { enum: [...SOURCE_FORMATS, 'generative'] as const, default: 'bio' as const };

export async function runConvert(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['to', 'from', 'output', 'text', 'gold', 'generative', 'type', ...LAYOUT_OPTIONS], flags: [] });
  if (args.positional.length !== 1) throw new UsageError('convert takes one file');
  const [input] = args.positional;
  if (args.values.to === undefined) throw new UsageError(`convert needs --to ${TARGET_FORMATS.join('|')}`);
  const to = choice(args.values, 'to', TARGETS) as TargetFormat;
  // Without --from the input's format is told from its name and content.
  const from = args.values.from === undefined ? undefined : choice(args.values, 'from', SOURCES);
  const settings = settingsFromArgs(args.values);
  const output = args.values.output;
  for (const read of [input, args.values.gold ?? input]) {
    const overwritten = output === undefined ? undefined : overwrittenInput(read, outputFiles(to, output));
    if (overwritten) throw new UsageError(`--output would write ${overwritten}, an input: inputs are never modified`);
  }
  let conversion: Conversion;
  if (from === 'generative') {
    if (!args.values.gold) throw new UsageError('--from generative needs --gold GOLD (the BIO file whose sentences were tagged)');
    if (to !== 'iob2' && to !== 'iobes') throw new UsageError('--from generative writes BIO: --to iob2 or iobes');
    conversion = await importGenerative({ input, gold: args.values.gold, style: choice(args.values, 'generative', GENERATIVE_STYLES), type: args.values.type, to, settings });
  } else {
    for (const name of ['gold', 'generative', 'type']) if (args.values[name] !== undefined) throw new UsageError(`--${name} goes with --from generative`);
    if (to === 'brat' && output === undefined) throw new UsageError('--to brat writes two files: give --output BASE (BASE.txt and BASE.ann)');
    conversion = await convertFile({ input, to, from, text: choice(args.values, 'text', TEXT_KINDS), settings });
  }
  if (output === undefined) await withOutput(undefined, (out) => out.write(conversion.outputs[0].text));
  else for (const { file, text } of outputsAt(conversion, output)) await withOutput(file, (out) => out.write(text));
  process.stderr.write(describeConversion(conversion).join('\n') + '\n');
  return conversion.problems.length ? 1 : 0;
}
