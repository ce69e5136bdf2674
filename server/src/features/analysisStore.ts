/** Analyses open BIO documents off the critical path: debounced, cancelled when stale, one result per version. */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BionerSettings } from '@common/settings';
import { analyzeConll, type ConllAnalysis } from '../core/conll/analysis';

class Stale extends Error {}

interface Entry {
  version: number;
  result: Promise<ConllAnalysis | undefined>;
}

export interface AnalysisStoreOptions {
  settingsFor(uri: string): Promise<BionerSettings>;
  /** Called once per analysed version; `undefined` when the file is over the size limit. */
  onAnalysed(document: TextDocument, analysis: ConllAnalysis | undefined, settings: BionerSettings): void;
  /** Typing pauses shorter than this do not start an analysis of a large document. */
  debounceMs: number;
}

/** Documents under this many characters are analysed at once: a pass takes a few milliseconds. */
const SMALL_DOCUMENT = 200_000;

export class AnalysisStore {
  private readonly entries = new Map<string, Entry>();
  private readonly latest = new Map<string, TextDocument>();

  constructor(private readonly options: AnalysisStoreOptions) {}

  /** The analysis of the document's current version, started now if none is on its way. */
  get(document: TextDocument): Promise<ConllAnalysis | undefined> {
    const entry = this.entries.get(document.uri);
    if (entry && entry.version === document.version) return entry.result;
    return this.start(document, 0);
  }

  changed(document: TextDocument): void {
    this.latest.set(document.uri, document);
    const delay = document.getText().length < SMALL_DOCUMENT ? 0 : this.options.debounceMs;
    void this.start(document, delay);
  }

  closed(uri: string): void {
    this.entries.delete(uri);
    this.latest.delete(uri);
  }

  /** Re-analyses every open document (settings changed). */
  refreshAll(): void {
    this.entries.clear();
    for (const document of this.latest.values()) this.changed(document);
  }

  private start(document: TextDocument, delayMs: number): Promise<ConllAnalysis | undefined> {
    this.latest.set(document.uri, document);
    const isStale = () => this.latest.get(document.uri)?.version !== document.version;
    const result = this.run(document, delayMs, isStale).catch((error) => {
      if (error instanceof Stale) return undefined;
      throw error;
    });
    this.entries.set(document.uri, { version: document.version, result });
    return result;
  }

  private async run(document: TextDocument, delayMs: number, isStale: () => boolean): Promise<ConllAnalysis | undefined> {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (isStale()) throw new Stale();
    const settings = await this.options.settingsFor(document.uri);
    const text = document.getText();
    if (text.length > settings.maxFileSizeMB * 1024 * 1024) {
      this.options.onAnalysed(document, undefined, settings);
      return undefined;
    }
    const analysis = await analyzeConll(text, settings, {
      // Yield to the event loop so that requests and newer edits get in; abandon the pass once stale.
      checkpoint: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        if (isStale()) throw new Stale();
      },
    });
    if (isStale()) throw new Stale();
    this.options.onAnalysed(document, analysis, settings);
    return analysis;
  }
}
