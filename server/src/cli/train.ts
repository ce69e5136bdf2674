/** `bioner train`: runs the trainer, prints its progress, leaves a model folder. */
import { checkPython, startTraining, type TrainEvent } from '../core/train/trainer';
import { parseArgs, UsageError } from './args';

function describe(event: TrainEvent): string | undefined {
  switch (event.event) {
    case 'start':
      return `training on ${event.train_sentences ?? '?'} sentences, labels ${event.labels?.join(' ') ?? '?'}, device ${event.device ?? '?'}`;
    case 'step':
      return `step ${event.step}${event.epoch !== undefined ? ` (epoch ${event.epoch})` : ''}: loss ${event.loss.toFixed(4)}`;
    case 'epoch':
      return `epoch ${event.epoch}: dev P ${event.dev?.precision} R ${event.dev?.recall} F1 ${event.dev?.f1}`;
    case 'export':
      return 'exporting the model';
    default:
      return undefined;
  }
}

export async function runTrain(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['train', 'dev', 'test', 'out', 'base', 'max-minutes', 'epochs', 'python'], flags: ['json'] });
  const { values } = args;
  if (!values.train || !values.dev || !values.out) throw new UsageError('train needs --train F --dev F --out DIR');
  const number = (name: string) => {
    const value = values[name];
    if (value === undefined) return undefined;
    if (!(Number(value) > 0)) throw new UsageError(`--${name} takes a positive number, not '${value}'`);
    return Number(value);
  };
  const python = values.python ?? (process.platform === 'linux' ? '/usr/bin/python3' : 'python3');
  const problem = checkPython(python, values.base !== undefined);
  if (problem) throw new Error(problem);
  const run = startTraining(
    python,
    { train: [values.train, ...args.positional], dev: values.dev, out: values.out, test: values.test, base: values.base, maxMinutes: number('max-minutes'), epochs: number('epochs') },
    {
      onEvent: (event) => {
        const line = args.flags.has('json') ? JSON.stringify(event) : describe(event);
        if (line) process.stdout.write(line + '\n');
      },
      onLog: (line) => process.stderr.write(line + '\n'),
    },
  );
  const stop = () => run.cancel();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const result = await run.finished;
  if (result.event === 'error') {
    process.stderr.write(`bioner: training failed: ${result.message}\n`);
    return 1;
  }
  process.stdout.write(`model written to ${result.out}${result.dev_f1 !== undefined ? ` (dev F1 ${result.dev_f1})` : ''}\n`);
  return 0;
}
