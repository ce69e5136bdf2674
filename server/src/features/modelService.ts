/**
 * Holds the NER engine the settings ask for, reloads it when they change, and reports its state. With
 * `bioner.inference.endpoint`, the graph runs on that server; when it cannot be reached, at load or later, the local
 * model takes over until the settings change or the model is reloaded, and the status says so.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BionerSettings } from '@common/settings';
import type { ModelStatus } from '@common/protocol';
import { Cancelled } from '../core/ner/cancelled';
import { NerEngine, type EngineOptions } from '../core/ner/engine';
import { chooseTypes, namedTypes } from '../core/ner/entityTypes';
import { GraphUnavailable, InferenceServerError, type Graph } from '../core/ner/graph';
import { DEFAULT_MODEL_DIR, ModelFolderError, type ModelFolder } from '../core/ner/modelFolder';
import { RemoteGraph, type InferenceServer } from '../core/ner/remoteGraph';

/** The Authorization header for the inference server when the client sends none: from the server's environment. */
const AUTH_VARIABLE = 'BIONER_INFERENCE_AUTH';

export class ModelService {
  private engine?: NerEngine;
  private loading?: Promise<NerEngine | undefined>;
  private key = '';
  /** Bumped by every switch, reload and shutdown: a load that finishes under an older one is thrown away. */
  private generation = 0;
  private disposed = false;
  /** Why some of `bioner.entityTypes` are not shown, while the engine that said so is loaded. */
  private typesWarning?: string;
  /** The client's token for the inference server (VS Code's secret storage), else the environment's. */
  private authorization = process.env[AUTH_VARIABLE] || undefined;
  /** Why the inference server is not used until the next reload or change of settings, when it failed. */
  private serverDown?: string;
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
    const server = this.inferenceServer(settings);
    const key = JSON.stringify([dir, settings.device, settings.workers, settings.threads, settings.useQuantized, server]);
    if (key !== this.key || !this.loading) {
      if (key !== this.key) this.serverDown = undefined;
      this.key = key;
      this.loading = this.load(dir, settings, ++this.generation);
    }
    return this.loading;
  }

  /** Forgets the loaded engine, so that the next request loads the folder again (e.g. after fine-tuning). */
  async reload(): Promise<void> {
    this.serverDown = undefined;
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
    const parts = [this.serverDown, engine.fallbackReason && `Running on the CPU: ${engine.fallbackReason}`, this.typesWarning].filter(Boolean);
    return parts.length > 0 ? parts.join('\n') : undefined;
  }

  /** The client's token for the inference server (undefined: the environment's); the next request uses it. */
  setAuthorization(authorization: string | undefined): void {
    const value = authorization || process.env[AUTH_VARIABLE] || undefined;
    if (value === this.authorization) return;
    this.authorization = value;
    this.onEngineChanged();
  }

  /** The server `bioner.inference.endpoint` names, or undefined when the model runs here. */
  private inferenceServer(settings: BionerSettings): InferenceServer | undefined {
    const endpoint = settings['inference.endpoint'].trim();
    if (!endpoint) return undefined;
    const { 'inference.protocol': protocol, 'inference.modelName': modelName, 'inference.concurrency': concurrency } = settings;
    return { endpoint, protocol, modelName, concurrency, authorization: this.authorization };
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
    const local: EngineOptions = {
      device: settings.device,
      workers: settings.workers,
      threads: settings.threads,
      preferQuantized: settings.useQuantized,
      usualTypes: namedTypes(settings.entityTypes),
      onWorkerExit: (message) => this.log(`${message} (model ${dir})`),
    };
    const server = this.serverDown ? undefined : this.inferenceServer(settings);
    let engine: NerEngine;
    try {
      engine = server ? await this.loadOnServer(dir, local, server, generation) : await NerEngine.load(dir, local);
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
    const remote = server && !this.serverDown ? server.endpoint : undefined;
    this.update({ state: 'ready', model: engine.folder.name, device: engine.device, remote, message: this.readyMessage(engine) });
    return engine;
  }

  /** The engine with its graph on the server; the local one when the server cannot be used (the folder's faults pass). */
  private async loadOnServer(dir: string, local: EngineOptions, server: InferenceServer, generation: number): Promise<NerEngine> {
    const graph = async (folder: ModelFolder) =>
      new WatchedGraph(await RemoteGraph.forFolder(folder, server), (reason) => this.serverLost(server.endpoint, reason, generation));
    try {
      return await NerEngine.load(dir, { ...local, graph });
    } catch (error) {
      if (error instanceof ModelFolderError || generation !== this.generation) throw error;
      this.serverDown = serverDownMessage(server.endpoint, 'cannot be used', (error as Error).message);
      this.log(this.serverDown);
      return NerEngine.load(dir, local);
    }
  }

  /** The server stopped answering mid-session: the local model takes over, and the documents are analysed again. */
  private serverLost(endpoint: string, reason: string, generation: number): void {
    if (this.serverDown || generation !== this.generation) return;
    this.serverDown = serverDownMessage(endpoint, 'stopped answering', reason);
    this.log(this.serverDown);
    this.loading = undefined;
    this.generation++;
    void this.replace(undefined).then(this.onEngineChanged);
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

/**
 * "The inference server at URL stopped answering: it did not answer POST …: ECONNREFUSED (after 3 retries). The model
 * runs on this machine; …": the remote graph's reason names the server too, so that part of it is said once.
 */
function serverDownMessage(endpoint: string, what: string, reason: string): string {
  const detail = reason.split('\n')[0].replace(/^the inference server at \S+ /, 'it ');
  return `The inference server at ${endpoint} ${what}: ${detail}. The model runs on this machine; BioNER: Reload Model tries the server again.`;
}

/** A server's graph whose loss (no answer, the server failing) is reported, so that the local model can take over. */
class WatchedGraph implements Graph {
  constructor(
    private readonly graph: Graph,
    private readonly onLost: (reason: string) => void,
  ) {}

  get ready(): Graph['ready'] {
    return this.graph.ready;
  }

  run(...args: Parameters<Graph['run']>): ReturnType<Graph['run']> {
    return this.graph.run(...args).catch((error: Error) => {
      if (error instanceof GraphUnavailable || error instanceof InferenceServerError) this.onLost(error.message);
      throw error;
    });
  }

  dispose(): Promise<void> {
    return this.graph.dispose();
  }
}
