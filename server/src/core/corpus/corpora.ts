/** Which files form one corpus, and which split (train, dev, test) a file is, from its path. */
import * as path from 'node:path';

/** `folder`: the files of one folder are one corpus (e.g. train/dev/test); `workspace`: every file of a
 * workspace folder; `file`: each file alone (no comparison across files). */
export const CORPUS_SCOPES = ['folder', 'workspace', 'file'] as const;
export type CorpusScope = (typeof CORPUS_SCOPES)[number];

export type Split = 'train' | 'dev' | 'test';

/** The corpus a file belongs to: files with the same key are compared with each other, never with others. */
export function corpusKey(file: string, scope: CorpusScope, workspaceRoots: readonly string[] = []): string {
  if (scope === 'file') return file;
  if (scope === 'workspace') {
    const root = workspaceRoots.filter((r) => file === r || file.startsWith(r.endsWith(path.sep) ? r : r + path.sep)).sort((a, b) => b.length - a.length)[0];
    if (root) return root;
  }
  return path.dirname(file);
}

const SPLIT_WORDS: [Split, RegExp][] = [
  ['train', /(^|[^a-z])(train|training)([^a-z]|$)/],
  ['dev', /(^|[^a-z])(dev|devel|development|valid|validation|val)([^a-z]|$)/],
  ['test', /(^|[^a-z])(test|testing|eval)([^a-z]|$)/],
];

/** The split a file's name says it is (`train.tsv`, `BC5CDR_devel.conll`, `test-2.bio`), or undefined. */
export function splitOf(file: string): Split | undefined {
  const name = path.basename(file).toLowerCase();
  for (const [split, pattern] of SPLIT_WORDS) if (pattern.test(name)) return split;
  return undefined;
}
