/** The sentences of every indexed file, grouped into corpora, each corpus with its own detectors kept up to date. */
import { byPosition, type Finding } from '../checks/finding';
import type { Scheme } from '../conll/tags';
import { corpusKey, splitOf, type CorpusScope } from './corpora';
import type { CorpusDetector, CorpusFile, SentenceRef } from './detector';
import type { DetectorFactory } from './detectors';
import type { CorpusSentence } from './sentence';

interface FileEntry {
  file: CorpusFile;
  corpus: Corpus;
  refs: SentenceRef[];
}

export interface Corpus {
  key: string;
  files: Map<string, FileEntry>;
  detectors: CorpusDetector[];
}

/** Sentences replaced in a file: old [from, from + deleted) become `inserted`; lines after them move by lineShift. */
export interface SentenceSplice {
  from: number;
  deleted: number;
  inserted: CorpusSentence[];
  lineShift: number;
}

export class CorpusIndex {
  private readonly corpora = new Map<string, Corpus>();
  private readonly files = new Map<string, FileEntry>();
  private nextId = 0;

  constructor(
    private readonly factories: readonly DetectorFactory[],
    private readonly scope: CorpusScope = 'folder',
    private readonly roots: readonly string[] = [],
    /** A file's path for grouping and split names (the server's identifiers are URIs). */
    private readonly pathOf: (file: string) => string = (file) => file,
  ) {}

  /** Indexes a whole file, replacing what was indexed for it. */
  setFile(file: string, scheme: Scheme, sentences: CorpusSentence[]): void {
    this.removeFile(file);
    const key = corpusKey(this.pathOf(file), this.scope, this.roots);
    let corpus = this.corpora.get(key);
    if (!corpus) this.corpora.set(key, (corpus = { key, files: new Map(), detectors: this.factories.map((make) => make(key)) }));
    const entry: FileEntry = { file: { file, scheme, split: splitOf(this.pathOf(file)) }, corpus, refs: [] };
    corpus.files.set(file, entry);
    this.files.set(file, entry);
    this.splice(file, { from: 0, deleted: 0, inserted: sentences, lineShift: 0 });
  }

  /** Applies an edit's sentences; false when the file is not indexed (index it whole instead). */
  splice(file: string, { from, deleted, inserted, lineShift }: SentenceSplice): boolean {
    const entry = this.files.get(file);
    if (!entry || from + deleted > entry.refs.length) return false;
    const added = inserted.map((sentence) => ({ id: this.nextId++, file: entry.file, sentence }));
    const removed = entry.refs.splice(from, deleted, ...added);
    if (lineShift !== 0) {
      for (let i = from + added.length; i < entry.refs.length; i++) {
        const lines = entry.refs[i].sentence.lines;
        for (let k = 0; k < lines.length; k++) lines[k] += lineShift;
      }
    }
    for (const detector of entry.corpus.detectors) {
      for (const ref of removed) detector.removed(ref);
      for (const ref of added) detector.added(ref);
    }
    return true;
  }

  removeFile(file: string): void {
    const entry = this.files.get(file);
    if (!entry) return;
    for (const detector of entry.corpus.detectors) for (const ref of entry.refs) detector.removed(ref);
    this.files.delete(file);
    entry.corpus.files.delete(file);
    if (entry.corpus.files.size === 0) this.corpora.delete(entry.corpus.key);
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  /** The corpus a file is indexed in. */
  corpusOf(file: string): Corpus | undefined {
    return this.files.get(file)?.corpus;
  }

  sentencesOf(file: string): readonly SentenceRef[] {
    return this.files.get(file)?.refs ?? [];
  }

  /** Every detector's findings on a file, in line order; `limit` per detector. */
  findings(file: string, limit?: number): Finding[] {
    const entry = this.files.get(file);
    if (!entry) return [];
    return entry.corpus.detectors.flatMap((detector) => detector.findings(file, limit)).sort(byPosition).slice(0, limit);
  }

  allCorpora(): IterableIterator<Corpus> {
    return this.corpora.values();
  }
}
