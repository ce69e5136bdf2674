/** Analyses open documents off the critical path: debounced, cancelled when stale, one result per version. */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BionerSettings } from '@common/settings';
import { Cancelled } from '../core/ner/cancelled';

export class Stale extends Error {}

export interface AnalysisControl {
  isStale(): boolean;
  /** Yields to the event loop so that requests and newer edits get in; throws Stale once the version is old. */
  checkpoint(): Promise<void>;
}

/** The last result published for a document, and its version. */
export interface Previous<T> {
  version: number;
  result: T;
}

export interface DocumentStoreOptions<T> {
  settingsFor(uri: string): Promise<BionerSettings>;
  /** `previous`: the last result published for the document with the same settings and model, if any. */
  analyze(document: TextDocument, settings: BionerSettings, control: AnalysisControl, previous: Previous<T> | undefined): Promise<T>;
  /** Called once per analysed version; `undefined` when the file is over the size limit. */
  onAnalysed?(document: TextDocument, result: T | undefined, settings: BionerSettings): void;
  /** Typing pauses shorter than this do not start an analysis of a large document. */
  debounceMs: number;
  /** Whether this version's analysis is cheap whatever the document's size (it can start from `previous`): no pause. */
  quick?(document: TextDocument, previous: Previous<T> | undefined): boolean;
  /** An analysis failed (a bug or a broken model): reported, never thrown at the event loop. */
  onError(document: TextDocument, error: Error): void;
}

/** Documents under this many characters are analysed at once: a pass takes a few milliseconds. */
const SMALL_DOCUMENT = 200_000;

interface Entry<T> {
  version: number;
  result: Promise<T | undefined>;
  /** Ends the typing pause early: a request wants this version's result now. */
  hurry?: () => void;
}

export class DocumentStore<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly latest = new Map<string, TextDocument>();
  private readonly published = new Map<string, Previous<T>>();
  private disposed = false;

  constructor(private readonly options: DocumentStoreOptions<T>) {}

  /** The analysis of the document's current version, started now if none is on its way. */
  get(document: TextDocument): Promise<T | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    const entry = this.entries.get(document.uri);
    if (!entry || entry.version !== document.version) return this.start(document, 0);
    entry.hurry?.();
    return entry.result;
  }

  /** Starts analysing a new version, after a pause in typing for large documents. */
  changed(document: TextDocument): void {
    if (this.disposed) return;
    const quick = document.getText().length < SMALL_DOCUMENT || this.options.quick?.(document, this.published.get(document.uri));
    const delay = quick ? 0 : this.options.debounceMs;
    void this.start(document, delay);
  }

  closed(uri: string): void {
    this.entries.delete(uri);
    this.latest.delete(uri);
    this.published.delete(uri);
  }

  /** Shutting down: every analysis on its way becomes stale (its model pass is cancelled) and none starts. */
  dispose(): void {
    this.disposed = true;
    this.entries.clear();
    this.latest.clear();
    this.published.clear();
  }

  /** Re-analyses every open document (settings or the model changed). */
  refreshAll(): void {
    this.entries.clear();
    this.published.clear();
    for (const document of this.latest.values()) this.changed(document);
  }

  private start(document: TextDocument, delayMs: number): Promise<T | undefined> {
    this.latest.set(document.uri, document);
    // A refresh (settings, model) replaces the entry: the old run is then stale even for the same version.
    const entry = { version: document.version } as Entry<T>;
    this.entries.set(document.uri, entry);
    const isStale = () => this.latest.get(document.uri)?.version !== document.version || this.entries.get(document.uri) !== entry;
    const pause =
      delayMs > 0
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delayMs);
            entry.hurry = () => {
              clearTimeout(timer);
              resolve();
            };
          })
        : undefined;
    entry.result = this.run(document, pause, isStale).catch((error) => {
      if (!(error instanceof Stale || error instanceof Cancelled)) this.options.onError(document, error as Error);
      return undefined;
    });
    return entry.result;
  }

  private async run(document: TextDocument, pause: Promise<void> | undefined, isStale: () => boolean): Promise<T | undefined> {
    if (pause) await pause;
    if (isStale()) throw new Stale();
    const settings = await this.options.settingsFor(document.uri);
    if (document.getText().length > settings.maxFileSizeMB * 1024 * 1024) {
      this.options.onAnalysed?.(document, undefined, settings);
      return undefined;
    }
    const control: AnalysisControl = {
      isStale,
      checkpoint: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        if (isStale()) throw new Stale();
      },
    };
    const result = await this.options.analyze(document, settings, control, this.published.get(document.uri));
    if (isStale()) throw new Stale();
    this.published.set(document.uri, { version: document.version, result });
    this.options.onAnalysed?.(document, result, settings);
    return result;
  }
}
