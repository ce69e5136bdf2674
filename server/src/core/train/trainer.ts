/**
 * Runs the Python trainer (training/) as a child process and turns its JSON-line progress into typed events.
 * Shared by `bioner train` and the "BioNER: Fine-tune model…" command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface TrainRequest {
  train: string[];
  dev: string;
  out: string;
  test?: string;
  /** A local Hugging Face checkpoint folder (LoRA/full fine-tuning); absent: the compact model from scratch. */
  base?: string;
  maxMinutes?: number;
  epochs?: number;
  /** Further trainer arguments, passed as they are. */
  extra?: string[];
}

export type TrainEvent =
  | { event: 'start'; labels?: string[]; device?: string; train_sentences?: number }
  | { event: 'step'; step: number; epoch?: number; loss: number }
  | { event: 'epoch'; epoch: number; dev?: { precision: number; recall: number; f1: number } }
  | { event: 'export'; [key: string]: unknown }
  | { event: 'done'; out: string; dev_f1?: number; [key: string]: unknown }
  | { event: 'error'; message: string; kind?: string };

export interface TrainRun {
  /** Resolves with the final event: done, or error (also for a cancelled run). */
  finished: Promise<Extract<TrainEvent, { event: 'done' | 'error' }>>;
  /** Asks the trainer to stop (SIGTERM): it writes nothing half-done. */
  cancel(): void;
}

/** The folder holding the `training` package: the repository root, or the extension's folder. */
export const TRAINER_ROOT = [path.join(__dirname, '..'), path.join(__dirname, '..', '..', '..', '..')].find((dir) => existsSync(path.join(dir, 'training', 'train.py'))) ?? path.join(__dirname, '..');

export function trainerArguments(request: TrainRequest): string[] {
  const args = ['-m', 'training.train', '--train', ...request.train, '--dev', request.dev, '--out', request.out];
  if (request.test) args.push('--test', request.test);
  if (request.base) args.push('--base', request.base);
  if (request.maxMinutes !== undefined) args.push('--max-minutes', String(request.maxMinutes));
  if (request.epochs !== undefined) args.push('--epochs', String(request.epochs));
  return [...args, ...(request.extra ?? [])];
}

/** What is missing to train, in words a user can act on; undefined when Python and its packages are there. */
export function checkPython(python: string, needsTransformers: boolean): string | undefined {
  const modules = ['torch', 'onnx', 'onnxruntime', 'tokenizers', ...(needsTransformers ? ['transformers', 'peft'] : [])];
  const probe = spawnSync(python, ['-c', `import importlib.util as u, sys; print(','.join(m for m in ${JSON.stringify(modules)} if u.find_spec(m) is None))`], { encoding: 'utf8' });
  if (probe.error) return `Python was not found at '${python}' (${probe.error.message}). Install Python 3 or set bioner.pythonPath (CLI: --python) to its path.`;
  if (probe.status !== 0) return `'${python}' did not run: ${probe.stderr.trim()}`;
  const missing = probe.stdout.trim();
  if (!missing) return undefined;
  return `'${python}' lacks the Python packages ${missing.split(',').join(', ')}. Install them, e.g. \`${python} -m pip install ${missing.split(',').join(' ')}\` (on Debian: \`apt-get install python3-torch\` for torch).`;
}

export function startTraining(python: string, request: TrainRequest, handlers: { onEvent?: (e: TrainEvent) => void; onLog?: (line: string) => void } = {}): TrainRun {
  const child = spawn(python, trainerArguments(request), { cwd: TRAINER_ROOT, env: { ...process.env, PYTHONUNBUFFERED: '1', OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' } });
  let last: Extract<TrainEvent, { event: 'done' | 'error' }> | undefined;
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      parts.forEach(onLine);
    });
    stream.on('end', () => pending && onLine(pending));
  };
  lines(child.stdout, (line) => {
    let event: TrainEvent;
    try {
      event = JSON.parse(line);
    } catch {
      handlers.onLog?.(line);
      return;
    }
    if (event.event === 'done' || event.event === 'error') last = event;
    handlers.onEvent?.(event);
  });
  lines(child.stderr, (line) => handlers.onLog?.(line));
  const finished = new Promise<Extract<TrainEvent, { event: 'done' | 'error' }>>((resolve) => {
    child.on('error', (error) => resolve({ event: 'error', message: `cannot start ${python}: ${error.message}` }));
    child.on('close', (code, signal) => resolve(last ?? { event: 'error', message: `the trainer exited with ${signal ?? `code ${code}`} without a result` }));
  });
  return { finished, cancel: () => void child.kill('SIGTERM') };
}
