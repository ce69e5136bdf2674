/** Holds the NER engine the settings ask for, reloads it when they change, and reports its state. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BionerSettings } from '@common/settings';
import type { ModelStatus } from '@common/protocol';
import { Cancelled } from '../core/ner/cancelled';
import { NerEngine } from '../core/ner/engine';
import { chooseTypes } from '../core/ner/entityTypes';
import { DEFAULT_MODEL_DIR, ModelFolderError } from '../core/ner/modelFolder';

export class ModelService {
  private engine?: NerEngine;
  private loading?: Promise<NerEngine | undefined>;
  private key = '';
  /** Bumped by every switch, reload and shutdown: a load that finishes under an older one is thrown away. */
  private generation = 0;
  private disposed = false;
  /** Why some of `bioner.entityTypes` are not shown, while the engine that said so is loaded. */
  private typesWarning?: string;
  status: ModelStatus = { state: 'none' };

  constructor(
    private readonly report: (status: ModelStatus) => void,
    /** Called when the model is reloaded: every prediction made with the old one is obsolete. */
    private readonly onEngineChanged: () => void,
    private readonly log: (message: string) => void,
  ) {}

  /** The engine for these settings, loading it the first time; undefined while none can be had. */
  get(settings: BionerSettings): Promise<NerEngine | undefined> {
    if (this.disposed) return Promise.resolve(undefined);
    const dir = settings.modelPath || DEFAULT_MODEL_DIR;
    const key = JSON.stringify([dir, settings.device, settings.workers, settings.threads, settings.useQuantized]);
    if (key !== this.key || !this.loading) {
      this.key = key;
      this.loading = this.load(dir, settings, ++this.generation);
    }
    return this.loading;
  }

  /** Forgets the loaded engine, so that the next request loads the folder again (e.g. after fine-tuning). */
  async reload(): Promise<void> {
    this.loading = undefined;
    this.key = '';
    this.generation++;
    await this.replace(undefined);
    this.onEngineChanged();
  }

  /** The types `bioner.entityTypes` chooses for prose; names the model does not predict are shown in the status. */
  proseTypes(engine: NerEngine, settings: BionerSettings): ReadonlySet<string> | undefined {
    const { types, unknown } = chooseTypes(settings.entityTypes, engine.entityTypes);
    const warning = unknown.length > 0 ? `bioner.entityTypes names ${unknown.map((t) => `'${t}'`).join(', ')}, which this model does not predict; it predicts ${[...engine.entityTypes].join(', ')}` : undefined;
    if (warning !== this.typesWarning && engine === this.engine && this.status.state === 'ready') {
      this.typesWarning = warning;
      this.update({ ...this.status, message: this.readyMessage(engine) });
    }
    return types;
  }

  private readyMessage(engine: NerEngine): string | undefined {
    const parts = [engine.fallbackReason && `Running on the CPU: ${engine.fallbackReason}`, this.typesWarning].filter(Boolean);
    return parts.length > 0 ? parts.join('\n') : undefined;
  }

  /** After inference, so that the status bar shows the measured speed. */
  reportSpeed(): void {
    if (this.engine && this.status.state === 'ready') this.update({ ...this.status, tokensPerSecond: Math.round(this.engine.wordsPerSecond) });
  }

  private async load(dir: string, settings: BionerSettings, generation: number): Promise<NerEngine | undefined> {
    await this.replace(undefined);
    if (!settings.modelPath && !existsSync(dir)) {
      this.update({ state: 'none', message: `No model: the bundled default model is not installed (${dir}). Set bioner.modelPath to a model folder; checking works without one.` });
      return undefined;
    }
    this.update({ state: 'loading', model: path.basename(dir) });
    let engine: NerEngine;
    try {
      engine = await NerEngine.load(dir, {
        device: settings.device,
        workers: settings.workers,
        threads: settings.threads,
        preferQuantized: settings.useQuantized,
        onWorkerExit: (message) => this.log(`${message} (model ${dir})`),
      });
    } catch (error) {
      if (generation !== this.generation) throw new Cancelled();
      const message = error instanceof ModelFolderError ? error.message : `Cannot load the model in ${dir}: ${(error as Error).message}`;
      this.update({ state: 'error', model: path.basename(dir), message: `${message}\nChecking and highlighting of BIO files work without a model.` });
      return undefined;
    }
    if (generation !== this.generation) {
      // Another model was asked for (or the server shuts down) while this one loaded.
      await engine.dispose();
      throw new Cancelled();
    }
    await this.replace(engine);
    this.typesWarning = undefined;
    this.update({ state: 'ready', model: engine.folder.name, device: engine.device, message: this.readyMessage(engine) });
    return engine;
  }

  private async replace(engine: NerEngine | undefined): Promise<void> {
    const previous = this.engine;
    this.engine = engine;
    await previous?.dispose();
  }

  private update(status: ModelStatus): void {
    this.status = status;
    this.report(status);
  }

  /** Shutdown: no model loads any more; the engine's sessions close once their native calls are done. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.generation++;
    return this.replace(undefined);
  }
}
