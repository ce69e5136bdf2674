/** A small argument parser: positional arguments, `--name value` / `--name=value` options and flags. */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { oneOf, resolveSettings, SETTINGS, type BionerSettings } from '@common/settings';
import type { BatchOptions } from '../core/corpus/batch';
import { CORPUS_SCOPES } from '../core/corpus/corpora';
import type { FormThresholds } from '../core/corpus/forms';

export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  values: Record<string, string | undefined>;
  flags: Set<string>;
}

export function parseArgs(argv: string[], spec: { values: string[]; flags: string[] }): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], values: {}, flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      parsed.positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (spec.flags.includes(name)) parsed.flags.add(name);
    else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      parsed.values[name] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return parsed;
}

/** Options every command reading BIO files accepts. */
export const LAYOUT_OPTIONS = ['tag-column', 'scheme'];

export function settingsFromArgs(values: Record<string, string | undefined>): BionerSettings {
  const tagColumn = values['tag-column'];
  if (tagColumn !== undefined && !/^-?\d+$/.test(tagColumn)) throw new UsageError(`--tag-column takes an integer, not '${tagColumn}'`);
  return resolveSettings({ tagColumn: tagColumn === undefined ? undefined : Number(tagColumn), scheme: choice(values, 'scheme', SETTINGS.scheme) });
}

/** Options of the commands that read files as corpora (check, stats). */
export const CORPUS_OPTIONS = ['corpus-scope', 'min-count', 'min-ratio'];
export const CORPUS_SCOPE = { enum: CORPUS_SCOPES, default: 'folder' } as const;

/** How the files of `paths` form corpora: `workspace` makes one corpus of the folder that holds every path. */
export function corpusOptionsFromArgs(args: ParsedArgs, settings: BionerSettings): BatchOptions {
  const scope = choice(args.values, 'corpus-scope', CORPUS_SCOPE);
  const roots = scope === 'workspace' ? [commonFolder(args.positional)] : [];
  return { tagColumn: settings.tagColumn, scheme: settings.scheme, scope, roots };
}

/** `--min-count N --min-ratio R`: the consistency checks' thresholds, as the `bioner.corpus.*` settings declare them. */
export function thresholdsFromArgs(values: Record<string, string | undefined>): FormThresholds {
  const number = (name: string) => {
    const text = values[name];
    if (text !== undefined && !Number.isFinite(Number(text))) throw new UsageError(`--${name} takes a number, not '${text}'`);
    return text === undefined ? undefined : Number(text);
  };
  const resolved = resolveSettings({ 'corpus.minCount': number('min-count'), 'corpus.minRatio': number('min-ratio') });
  for (const [name, key] of [['min-count', 'corpus.minCount'], ['min-ratio', 'corpus.minRatio']] as const) {
    if (values[name] !== undefined && resolved[key] !== Number(values[name])) throw new UsageError(`--${name} ${values[name]} is out of range: ${SETTINGS[key].description}`);
  }
  return { minCount: resolved['corpus.minCount'], minRatio: resolved['corpus.minRatio'] };
}

/** The deepest folder containing every path (a folder argument counts as itself, a file as its folder). */
function commonFolder(paths: readonly string[]): string {
  const folders = paths.map((p) => {
    const resolved = path.resolve(p);
    return statSync(resolved, { throwIfNoEntry: false })?.isDirectory() ? resolved : path.dirname(resolved);
  });
  return folders.reduce((common, folder) => {
    while (folder !== common && !folder.startsWith(common.endsWith(path.sep) ? common : common + path.sep)) common = path.dirname(common);
    return common;
  });
}

/** A count option: `fallback` when absent. */
export function positiveInteger(values: Record<string, string | undefined>, name: string, fallback = 1): number {
  const value = values[name] === undefined ? fallback : Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} takes a positive integer, not '${values[name]}'`);
  return value;
}

/** An option taking one of a few values, declared like a setting. */
export interface Choice<T extends string> {
  enum: readonly T[];
  default: T;
}

/** The value of option `name`: one of `allowed`, its default when the option is absent. */
export function choice<T extends string>(values: Record<string, string | undefined>, name: string, allowed: Choice<T>): T {
  const value = values[name] ?? allowed.default;
  if (!(allowed.enum as readonly string[]).includes(value)) throw new UsageError(`unknown ${name} '${value}' (${oneOf(allowed.enum)})`);
  return value as T;
}
