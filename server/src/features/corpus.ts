/** The server's side of the corpus worker: starts it, feeds it documents and edits, asks it questions, restarts it. */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SentenceSplice } from '../core/corpus/corpusIndex';
import type { Answers, FromCorpusWorker, Question, ToCorpusWorker } from '../core/corpus/corpusProtocol';
import type { WorkspaceOptions } from '../core/corpus/workspace';
import type { ClientFeatures } from './clientFeatures';
import { PassProgress } from './progress';

export interface CorpusServiceEvents {
  /** Findings of open files may have changed. */
  onChanged(): void;
  /** The worker lacks open documents (it started, or an edit did not fit): give it their whole text (`uri`: only that one). */
  reindex(uri?: string): void;
  log(message: string): void;
}

/** Files the client is asked to watch; which of them are BIO files the worker decides from their content. */
export const CORPUS_FILES_GLOB = '**/*.{bio,iob,iob2,bioes,conll,tsv,txt}';

/** Restarts after a crash before the service gives up (a worker that keeps dying has a bug to report). */
const MAX_RESTARTS = 3;

export class CorpusService {
  private worker?: Worker;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private nextId = 0;
  private restarts = 0;
  private progress?: PassProgress;
  private disposed = false;
  private options?: WorkspaceOptions;

  constructor(
    private readonly client: ClientFeatures,
    private readonly events: CorpusServiceEvents,
  ) {}

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Starts indexing the workspace (again, with new options, when it runs already). */
  start(options: WorkspaceOptions): void {
    this.options = options;
    void this.stopWorker();
    this.spawn();
  }

  async stop(): Promise<void> {
    this.options = undefined;
    await this.stopWorker();
  }

  open(uri: string, text: string): void {
    this.post({ kind: 'open', uri, text });
  }

  edit(uri: string, splice: SentenceSplice): void {
    this.post({ kind: 'edit', uri, splice });
  }

  close(uri: string): void {
    this.post({ kind: 'close', uri });
  }

  diskChanged(uri: string): void {
    this.post({ kind: 'disk', uri });
  }

  /** The worker's answer; undefined when no worker runs or it failed to answer. */
  ask<K extends Question['kind']>(question: Extract<Question, { kind: K }>): Promise<Answers[K] | undefined> {
    if (!this.worker) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (result: unknown) => void);
      this.post({ kind: 'ask', id, question });
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
  }

  private spawn(): void {
    if (!this.options || this.disposed) return;
    const worker = new Worker(path.join(__dirname, 'corpusWorker.js'), { workerData: this.options });
    this.worker = worker;
    this.progress = new PassProgress(this.client, 'Indexing the corpus', 'files');
    worker.on('message', (message: FromCorpusWorker) => this.received(message));
    worker.on('error', (error) => this.events.log(`the corpus worker failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => this.exited(worker, code));
    this.events.reindex();
  }

  private received(message: FromCorpusWorker): void {
    switch (message.kind) {
      case 'progress':
        this.progress?.onProgress(message.done, message.total);
        if (this.progress?.cancelled()) this.post({ kind: 'cancelScan' });
        return;
      case 'scanned':
        this.progress?.end();
        this.events.log(
          `corpus index: ${message.files} files, ${message.sentences} sentences in ${(message.ms / 1000).toFixed(1)} s${message.cancelled ? ' (cancelled: files not read yet are left out)' : ''}`,
        );
        return;
      case 'changed':
        return this.events.onChanged();
      case 'resync':
        return this.events.reindex(message.uri);
      case 'answer': {
        const resolve = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) this.events.log(`the corpus worker could not answer: ${message.error}`);
        resolve?.(message.error ? undefined : message.result);
      }
    }
  }

  private exited(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.progress?.end();
    for (const resolve of this.pending.values()) resolve(undefined);
    this.pending.clear();
    if (this.disposed || !this.options) return;
    if (this.restarts++ < MAX_RESTARTS) {
      this.events.log(`the corpus worker ended (code ${code}); restarting it`);
      this.spawn();
    } else this.events.log(`the corpus worker ended ${this.restarts} times; corpus checks are off until the server restarts`);
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.progress?.end();
    for (const resolve of this.pending.values()) resolve(undefined);
    this.pending.clear();
    await worker?.terminate();
  }

  private post(message: ToCorpusWorker): void {
    this.worker?.postMessage(message);
  }
}
