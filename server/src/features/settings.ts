/**
 * Reads `bioner.*` settings per document: pulled from clients that answer `workspace/configuration`, else the
 * ones a client pushes in `workspace/didChangeConfiguration` (Helix, Neovim's `settings`), else the defaults.
 */
import type { Connection } from 'vscode-languageserver';
import { DEFAULT_SETTINGS, resolveSettings, type BionerSettings } from '@common/settings';

export class SettingsCache {
  private readonly cache = new Map<string, Promise<BionerSettings>>();
  private pushed: BionerSettings = DEFAULT_SETTINGS;
  /** False when the client cannot answer workspace/configuration. */
  pull = false;

  constructor(
    private readonly connection: Connection,
    private readonly log: (message: string) => void,
  ) {}

  get(uri: string): Promise<BionerSettings> {
    if (!this.pull) return Promise.resolve(this.pushed);
    let settings = this.cache.get(uri);
    if (!settings) {
      settings = this.connection.workspace.getConfiguration({ scopeUri: uri, section: 'bioner' }).then(resolveSettings, (error: Error) => {
        this.log(`the client rejected workspace/configuration: ${error.message}; using the default settings`);
        return DEFAULT_SETTINGS;
      });
      this.cache.set(uri, settings);
    }
    return settings;
  }

  /** The configuration changed; `settings` is what push-model clients send (`{ bioner: {…} }`). */
  changed(settings: unknown): void {
    this.cache.clear();
    const section = (settings as { bioner?: unknown } | null | undefined)?.bioner;
    if (!this.pull && section && typeof section === 'object') this.pushed = resolveSettings(section);
  }
}
