/** The corpus index of a batch run (the CLI, the editor's statistics): files grouped into corpora, each read whole and fed to its detectors. */
import * as path from 'node:path';
import type { SchemeSetting } from '@common/settings';
import { byPosition, type Finding } from '../checks/finding';
import { scanLayout } from '../conll/corpus';
import { layoutOf } from '../conll/layout';
import { SentenceReader } from '../conll/reader';
import { LineIndex, linesOfFile } from '../text/lines';
import { corpusKey, splitOf, type CorpusScope } from './corpora';
import type { CorpusDetector, CorpusFile } from './detector';
import type { DetectorFactory } from './detectors';
import { corpusSentence } from './sentence';

export interface BatchOptions {
  tagColumn: number;
  scheme: SchemeSetting;
  scope: CorpusScope;
  /** Workspace folders, for the `workspace` scope. */
  roots?: readonly string[];
  /** Texts that stand for files on disk: the editor's open documents, unsaved edits included. */
  texts?: ReadonlyMap<string, string>;
}

export interface IndexedCorpus<D extends CorpusDetector = CorpusDetector> {
  key: string;
  files: CorpusFile[];
  /** One per factory, in the factories' order, fed every sentence of the corpus. */
  detectors: D[];
  /** Files that could not be read, with the reason; their sentences up to the failure stay indexed. */
  errors: Map<string, string>;
}

/** The files of each corpus, corpora in the order of their first file; `./a/x.tsv` and `a/y.tsv` are of one folder. */
export function groupCorpora(files: readonly string[], scope: CorpusScope, roots: readonly string[] = []): Map<string, string[]> {
  const corpora = new Map<string, string[]>();
  const resolvedRoots = roots.map((root) => path.resolve(root));
  for (const file of files) {
    const key = corpusKey(path.resolve(file), scope, resolvedRoots);
    const group = corpora.get(key);
    if (group) group.push(file);
    else corpora.set(key, [file]);
  }
  return corpora;
}

/**
 * Indexes one corpus at a time and yields it once every file of it is read: the caller takes what it needs before
 * asking for the next, so memory holds the largest corpus, not all of them.
 */
export async function* indexCorpora<D extends CorpusDetector>(
  files: readonly string[],
  options: BatchOptions,
  factories: readonly DetectorFactory<D>[],
): AsyncGenerator<IndexedCorpus<D>> {
  let id = 0;
  for (const [key, group] of groupCorpora(files, options.scope, options.roots)) {
    const corpus: IndexedCorpus<D> = { key, files: [], detectors: factories.map((make) => make(key)), errors: new Map() };
    for (const file of group) {
      try {
        const text = options.texts?.get(file);
        const lines = text === undefined ? undefined : new LineIndex(text);
        const layout = lines ? layoutOf(lines.lines(), options) : await scanLayout(file, options);
        const corpusFile: CorpusFile = { file, split: splitOf(file), scheme: layout.scheme };
        corpus.files.push(corpusFile);
        // A reader with a sink, not readCorpus's generator: a promise per sentence doubled the time of a pass.
        const reader = new SentenceReader(layout.separator, layout.tagSetting, {
          sentence: (tokens) => {
            const ref = { id: id++, file: corpusFile, sentence: corpusSentence(tokens, layout) };
            for (const detector of corpus.detectors) detector.added(ref);
          },
        });
        for await (const line of lines ? lines.lines() : linesOfFile(file)) reader.push(line);
        reader.end();
      } catch (error) {
        corpus.errors.set(file, (error as Error).message);
      }
    }
    yield corpus;
  }
}

/** Every detector's findings on each file of the corpus, merged in line order. */
export function corpusFindings(corpus: IndexedCorpus): Map<string, Finding[]> {
  return new Map(corpus.files.map(({ file }) => [file, corpus.detectors.flatMap((d) => d.findings(file)).sort(byPosition)]));
}
