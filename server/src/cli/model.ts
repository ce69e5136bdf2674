/** Model options shared by the commands that run a model, and the bundled default model's place. */
import { existsSync } from 'node:fs';
import { NerEngine } from '../core/ner/engine';
import { DEFAULT_MODEL_DIR } from '../core/ner/modelFolder';
import type { Device } from '../core/ner/workerProtocol';
import { UsageError } from './args';

export const MODEL_OPTIONS = ['model', 'device', 'threads', 'heads'];
export const MODEL_FLAGS = ['quantized'];

export async function loadEngine(values: Record<string, string | undefined>, flags: Set<string>): Promise<NerEngine> {
  const dir = values.model ?? DEFAULT_MODEL_DIR;
  if (!values.model && !existsSync(dir)) throw new Error(`the bundled default model is missing (${dir}); pass --model DIR`);
  const device = (values.device ?? 'auto') as Device;
  if (!['auto', 'cpu', 'cuda', 'webgpu'].includes(device)) throw new UsageError(`unknown device '${device}' (auto, cpu, cuda or webgpu)`);
  const threads = values.threads === undefined ? 1 : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads takes a positive integer, not '${values.threads}'`);
  const heads = values.heads?.split(',').map((name) => name.trim());
  const engine = await NerEngine.load(dir, { device, threads, preferQuantized: flags.has('quantized'), heads });
  if (engine.fallbackReason) process.stderr.write(`bioner: running on the CPU: ${engine.fallbackReason}\n`);
  return engine;
}
