/** `bioner annotate`: model predictions for one file to stdout or --output FILE, or for files and folders into --out DIR. */
import { statSync } from 'node:fs';
import { choice, LAYOUT_OPTIONS, parseArgs, UsageError, type ParsedArgs } from './args';
import { annotateCorpus, CORPUS_FLAGS, CORPUS_OPTIONS } from './annotateCorpus';
import { ANNOTATE_FORMATS, annotateFile, INPUT_KINDS, inputKindOf, type SentencesDone } from './annotateFile';
import { closeEngine, loadEngine, MODEL_FLAGS, MODEL_OPTIONS } from './model';
import { REMOTE_OPTIONS } from './remote';
import { withOutput } from './output';

export { ANNOTATE_FORMATS, INPUT_KINDS } from './annotateFile';

export async function runAnnotate(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['format', 'input', 'output', ...CORPUS_OPTIONS, ...MODEL_OPTIONS, ...LAYOUT_OPTIONS, ...REMOTE_OPTIONS],
    flags: [...MODEL_FLAGS, ...CORPUS_FLAGS],
  });
  if (args.values.out !== undefined) return annotateCorpus(args);
  const file = singleFile(args);
  const format = choice(args.values, 'format', ANNOTATE_FORMATS);
  const input = choice(args.values, 'input', { enum: INPUT_KINDS, default: inputKindOf(file) });
  const engine = await loadEngine(args.values, args.flags);
  try {
    // A BIO file's progress on stderr; prose is read whole and says nothing.
    const showSentences: SentencesDone = (done, total) => process.stderr.write(`\rannotated ${done}/${total} sentences`);
    await withOutput(args.values.output, async (output) => {
      await annotateFile(file, input, engine, args, format, output, input === 'bio' ? showSentences : () => undefined);
      if (input === 'bio') process.stderr.write(` (${Math.round(engine.wordsPerSecond)} tokens/s on ${engine.device})\n`);
    });
  } finally {
    await closeEngine(engine);
  }
  return 0;
}

/** The one file annotated without --out; the options only a corpus run takes are usage errors here. */
function singleFile(args: ParsedArgs): string {
  if (args.positional.length !== 1) throw new UsageError('annotate takes one file, or files and folders with --out DIR');
  const [file] = args.positional;
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${file} is a folder: annotate it with --out DIR`);
  for (const name of CORPUS_OPTIONS) if (args.values[name] !== undefined) throw new UsageError(`--${name} needs --out DIR`);
  for (const name of CORPUS_FLAGS) if (args.flags.has(name)) throw new UsageError(`--${name} needs --out DIR`);
  return file;
}
