/** Reads `bioner.*` settings from the client per document, cached until the configuration changes. */
import type { Connection } from 'vscode-languageserver';
import { DEFAULT_SETTINGS, resolveSettings, type BionerSettings } from '@common/settings';

export class SettingsCache {
  private readonly cache = new Map<string, Promise<BionerSettings>>();
  /** False when the client cannot answer workspace/configuration: defaults apply. */
  supported = false;

  constructor(private readonly connection: Connection) {}

  get(uri: string): Promise<BionerSettings> {
    if (!this.supported) return Promise.resolve(DEFAULT_SETTINGS);
    let settings = this.cache.get(uri);
    if (!settings) {
      settings = this.connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'bioner' })
        .then(resolveSettings, () => DEFAULT_SETTINGS);
      this.cache.set(uri, settings);
    }
    return settings;
  }

  clear(): void {
    this.cache.clear();
  }
}
