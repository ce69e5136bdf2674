/** Model options shared by the commands that run a model, and the bundled default model's place. */
import { existsSync } from 'node:fs';
import { SETTINGS } from '@common/settings';
import { NerEngine } from '../core/ner/engine';
import { DEFAULT_MODEL_DIR } from '../core/ner/modelFolder';
import { choice, UsageError } from './args';

export const MODEL_OPTIONS = ['model', 'device', 'workers', 'threads', 'heads'];
export const MODEL_FLAGS = ['quantized'];

export async function loadEngine(values: Record<string, string | undefined>, flags: Set<string>): Promise<NerEngine> {
  const dir = values.model ?? DEFAULT_MODEL_DIR;
  if (!values.model && !existsSync(dir)) throw new Error(`the bundled default model is missing (${dir}); pass --model DIR`);
  const device = choice(values, 'device', SETTINGS.device);
  const workers = positiveInteger(values, 'workers');
  const threads = positiveInteger(values, 'threads');
  const heads = values.heads?.split(',').map((name) => name.trim());
  const engine = await NerEngine.load(dir, { device, workers, threads, preferQuantized: flags.has('quantized'), heads });
  if (engine.fallbackReason) process.stderr.write(`bioner: running on the CPU: ${engine.fallbackReason}\n`);
  return engine;
}

/** A count option: 1 when absent. */
function positiveInteger(values: Record<string, string | undefined>, name: string): number {
  const value = values[name] === undefined ? 1 : Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} takes a positive integer, not '${values[name]}'`);
  return value;
}
