/** "BioNER: Reload Model": reloads the model folder without restarting (e.g. after retraining it). */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RELOAD_MODEL_REQUEST } from '@common/protocol';

export function registerReloadModel(client: LanguageClient): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.reloadModel', () => client.sendRequest(RELOAD_MODEL_REQUEST));
}
