/**
 * "BioNER: Evaluate Model on This File": the server's model run on the active BIO file and scored against its gold
 * tags, with cancellable progress while the model runs, then the scores, charts and errors in a report view.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { EVALUATE_FILE_REQUEST } from '@common/protocol';
import { ReportPanel } from '../views/reportPanel';
import { activeBioDocument, requestWithProgress, showRequestError } from './serverRequests';

export function registerEvaluateModel(client: LanguageClient, extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.evaluateModel', async () => {
    const document = activeBioDocument();
    if (!document) return;
    try {
      const result = await requestWithProgress(client, `BioNER: evaluating the model on ${path.basename(document.uri.fsPath)}`, (workDoneToken, token) =>
        client.sendRequest(EVALUATE_FILE_REQUEST, { textDocument: { uri: document.uri.toString() }, workDoneToken }, token),
      );
      ReportPanel.show(extensionUri, { kind: 'evaluation', file: vscode.workspace.asRelativePath(document.uri), result }, document.uri);
    } catch (error) {
      showRequestError(error);
    }
  });
}
