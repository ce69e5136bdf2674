/** Model options shared by the commands that run a model, and the bundled default model's place. */
import { existsSync } from 'node:fs';
import { SETTINGS } from '@common/settings';
import type { AbbreviationScope } from '../core/ner/abbreviationTypes';
import { NerEngine, type SentencePrediction } from '../core/ner/engine';
import { chooseTypes, namedTypes } from '../core/ner/entityTypes';
import { DEFAULT_MODEL_DIR } from '../core/ner/modelFolder';
import { predictWithAbbreviations } from '../core/ner/predictDocument';
import type { RemoteGraph } from '../core/ner/remoteGraph';
import { choice, positiveInteger, UsageError } from './args';
import { remoteGraphFromArgs, reportRemote } from './remote';

export const MODEL_OPTIONS = ['model', 'device', 'workers', 'threads', 'heads', 'types'];
export const MODEL_FLAGS = ['quantized', 'no-abbreviations'];

export async function loadEngine(values: Record<string, string | undefined>, flags: Set<string>): Promise<NerEngine> {
  const dir = values.model ?? DEFAULT_MODEL_DIR;
  if (!values.model && !existsSync(dir)) throw new Error(`the bundled default model is missing (${dir}); pass --model DIR`);
  const device = choice(values, 'device', SETTINGS.device);
  const workers = positiveInteger(values, 'workers');
  const threads = positiveInteger(values, 'threads');
  const heads = values.heads?.split(',').map((name) => name.trim());
  const remote = remoteGraphFromArgs(values);
  const usualTypes = values.types === undefined ? undefined : namedTypes(values.types.split(','));
  const engine = await NerEngine.load(dir, { device, workers, threads, preferQuantized: flags.has('quantized'), heads, usualTypes, graph: remote?.connect });
  const graph = remote?.graph();
  if (graph) remoteGraphs.set(engine, graph);
  if (engine.fallbackReason) process.stderr.write(`bioner: running on the CPU: ${engine.fallbackReason}\n`);
  return engine;
}

/** The inference servers that engines run on, for their figures at the end. */
const remoteGraphs = new WeakMap<NerEngine, RemoteGraph>();

/** Disposes of the engine; one that ran on an inference server reports its throughput, requests and retries. */
export async function closeEngine(engine: NerEngine): Promise<void> {
  await engine.dispose();
  const graph = remoteGraphs.get(engine);
  if (graph) reportRemote(graph, engine.wordsPerSecond);
}

/**
 * The types `--types T[,T…]` chooses (`*`: every type), or `fallback` without it; a type the model does not predict is
 * a usage error that lists those it does.
 */
export function typesFromArgs(values: Record<string, string | undefined>, engine: NerEngine, fallback: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  if (values.types === undefined) return fallback;
  const { types, unknown } = chooseTypes(values.types.split(','), engine.entityTypes);
  if (unknown.length > 0) throw new UsageError(`--types: the model does not predict ${unknown.join(', ')}; it predicts ${[...engine.entityTypes].join(', ')}`);
  return types;
}

/** The model's predictions of some sentences, and the types of the abbreviations they define unless --no-abbreviations. */
export async function predictDocument(
  engine: NerEngine,
  sentences: readonly (readonly string[])[],
  types: ReadonlySet<string> | undefined,
  scope: AbbreviationScope,
  flags: Set<string>,
): Promise<readonly SentencePrediction[]> {
  return predictWithAbbreviations(engine, sentences, { types }, flags.has('no-abbreviations') ? undefined : scope);
}
