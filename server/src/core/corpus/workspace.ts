/**
 * The corpus index of an editor's workspace: files on disk indexed from disk, open files from the editor's text and
 * its per-sentence edits; answers the corpus questions the language server asks (findings, occurrences, renames).
 * Files are named by URI. It runs in the corpus worker, and in tests in-process.
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CorpusWideFix, Finding, SpanEdit } from '../checks/finding';
import { CorpusIndex, type SentenceSplice } from './corpusIndex';
import type { CorpusScope } from './corpora';
import { corpusDetectors } from './detectors';
import { bioFiles, looksLikeBio } from './discover';
import { SurfaceFormConsistency, type FormThresholds, type Occurrence } from './forms';
import { sentencesOfFile, sentencesOfText, type LayoutSettings } from './load';
import type { SentenceRef } from './detector';
import { formatTag } from '../conll/tags';

export interface WorkspaceOptions extends LayoutSettings {
  scope: CorpusScope;
  /** Workspace folders, as URIs. */
  roots: readonly string[];
  thresholds: FormThresholds;
  /** Files larger than this are not indexed from disk. */
  maxFileSizeMB: number;
}

/** A place in a file of the corpus, with the tags found there. */
export interface CorpusLocation {
  uri: string;
  line: number;
  start: number;
  end: number;
  /** The tags of the occurrence's tokens, as the file spells them in its scheme. */
  tags: string[];
}

export interface EntitySymbol extends CorpusLocation {
  text: string;
  type: string;
}

export interface ScanProgress {
  onProgress(done: number, total: number): void;
  isCancelled(): boolean;
}

const pathOf = (uri: string): string => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);

export class CorpusWorkspace {
  private readonly index: CorpusIndex;
  /** Files the editor has open: their content comes from the editor, never from disk. */
  private readonly open = new Set<string>();

  constructor(private readonly options: WorkspaceOptions) {
    this.index = new CorpusIndex(corpusDetectors(options.thresholds), options.scope, options.roots.map(pathOf), pathOf);
  }

  /** Indexes every BIO file under the workspace folders; returns how many files and sentences it holds. */
  async scan(progress: ScanProgress): Promise<{ files: number; sentences: number }> {
    const files = await bioFiles(this.options.roots.map(pathOf), this.options.tagColumn);
    let done = 0;
    for (const file of files) {
      if (progress.isCancelled()) break;
      await this.loadFromDisk(pathToFileURL(file).href);
      progress.onProgress(++done, files.length);
    }
    return this.size();
  }

  size(): { files: number; sentences: number } {
    let files = 0;
    let sentences = 0;
    for (const corpus of this.index.allCorpora()) {
      for (const entry of corpus.files.values()) {
        files++;
        sentences += entry.refs.length;
      }
    }
    return { files, sentences };
  }

  /** The editor opened a file (or its text was replaced as a whole). */
  openText(uri: string, text: string): void {
    this.open.add(uri);
    const { scheme, sentences } = sentencesOfText(text, this.options);
    this.index.setFile(uri, scheme, sentences);
  }

  /** An edit of an open file; false when the index cannot apply it (the editor then sends the whole text). */
  edit(uri: string, splice: SentenceSplice): boolean {
    return this.open.has(uri) && this.index.splice(uri, splice);
  }

  /** The editor closed a file: what counts now is the file on disk. */
  async close(uri: string): Promise<void> {
    this.open.delete(uri);
    await this.loadFromDisk(uri);
  }

  /** A file changed, appeared or disappeared on disk. */
  async diskChanged(uri: string): Promise<void> {
    if (!this.open.has(uri)) await this.loadFromDisk(uri);
  }

  /** The corpus key of a file, for telling which open files an update concerns. */
  corpusOf(uri: string): string | undefined {
    return this.index.corpusOf(uri)?.key;
  }

  findings(uri: string, limit?: number): Finding[] {
    return this.index.findings(uri, limit);
  }

  /** The edits of a corpus-wide fix chosen on `uri`, each naming its file. */
  corpusWideEdits(uri: string, fix: CorpusWideFix): SpanEdit[] {
    return this.forms(uri)?.corpusWideEdits(fix) ?? [];
  }

  /** Every occurrence in the corpus of the entity (or, outside entities, the word) on `line`. */
  references(uri: string, line: number): CorpusLocation[] {
    const found = this.tokenAt(uri, line);
    const forms = this.forms(uri);
    if (!found || !forms) return [];
    const { ref, token } = found;
    const tags = ref.sentence.tags;
    let [start, end] = [token, token + 1];
    if (tags[token] && tags[token]!.prefix !== 'O') {
      const chunk = forms.entityAt(ref, token);
      if (chunk) [start, end] = [chunk.start, chunk.end];
    }
    return forms.occurrences(ref.sentence.words.slice(start, end)).map(location);
  }

  /** The type of the tag on `line` and where it is in the line, for a rename to start from. */
  typeAt(uri: string, line: number, character: number): { type: string; line: number; start: number; end: number } | undefined {
    const found = this.tokenAt(uri, line);
    if (!found) return undefined;
    const { ref, token } = found;
    const tag = ref.sentence.tags[token];
    const end = ref.sentence.tagEnds[token];
    if (!tag || !tag.type || character < ref.sentence.tagStarts[token] || character > end) return undefined;
    return { type: tag.type, line, start: end - tag.type.length, end };
  }

  /** Edits renaming an entity type in every tag of the corpus of `uri`, per file. */
  renameType(uri: string, from: string, to: string): Map<string, SpanEdit[]> {
    const edits = new Map<string, SpanEdit[]>();
    const corpus = this.index.corpusOf(uri);
    for (const file of corpus?.files.keys() ?? []) {
      const fileEdits: SpanEdit[] = [];
      for (const { sentence } of this.index.sentencesOf(file)) {
        sentence.tags.forEach((tag, i) => {
          if (tag?.type === from) fileEdits.push({ line: sentence.lines[i], start: sentence.tagEnds[i] - from.length, end: sentence.tagEnds[i], newText: to });
        });
      }
      if (fileEdits.length > 0) edits.set(file, fileEdits);
    }
    return edits;
  }

  /** Annotated entities whose text contains `query` (case folded), across every corpus, most frequent forms first. */
  symbols(query: string, limit: number): EntitySymbol[] {
    const symbols: EntitySymbol[] = [];
    for (const corpus of this.index.allCorpora()) {
      const forms = corpus.detectors.find((d): d is SurfaceFormConsistency => d instanceof SurfaceFormConsistency);
      for (const occurrence of forms?.annotatedMatching(query, limit - symbols.length) ?? []) {
        if (occurrence.reading.kind !== 'exact') continue;
        symbols.push({ ...location(occurrence), text: occurrence.ref.sentence.words.slice(occurrence.start, occurrence.end).join(' '), type: occurrence.reading.type });
      }
      if (symbols.length >= limit) break;
    }
    return symbols;
  }

  private forms(uri: string): SurfaceFormConsistency | undefined {
    return this.index.corpusOf(uri)?.detectors.find((d): d is SurfaceFormConsistency => d instanceof SurfaceFormConsistency);
  }

  /** The sentence and token index of a line, by binary search over the file's sentences. */
  private tokenAt(uri: string, line: number): { ref: SentenceRef; token: number } | undefined {
    const refs = this.index.sentencesOf(uri);
    let lo = 0;
    let hi = refs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const lines = refs[mid].sentence.lines;
      if (lines[lines.length - 1] < line) lo = mid + 1;
      else if (lines[0] > line) hi = mid - 1;
      else {
        const token = lines.indexOf(line);
        return token < 0 ? undefined : { ref: refs[mid], token };
      }
    }
    return undefined;
  }

  private async loadFromDisk(uri: string): Promise<void> {
    const path = pathOf(uri);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.size > this.options.maxFileSizeMB * 1024 * 1024 || !(await looksLikeBio(path, this.options.tagColumn))) {
      this.index.removeFile(uri);
      return;
    }
    const { scheme, sentences } = await sentencesOfFile(path, this.options);
    // The editor may have opened the file while it was read: its text wins.
    if (!this.open.has(uri)) this.index.setFile(uri, scheme, sentences);
  }
}

function location({ ref, start, end }: Occurrence): CorpusLocation {
  const { sentence } = ref;
  const tags = sentence.tags.slice(start, end).map((tag) => (tag ? formatTag(tag) : '?'));
  return { uri: ref.file.file, line: sentence.lines[start], start: 0, end: sentence.words[start].length, tags };
}
