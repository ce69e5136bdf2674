/**
 * "BioNER: Evaluate Model on This File": the server's model run on the active BIO file and scored against its gold
 * tags, with cancellable progress while the model runs, then the scores, charts and errors in a report view.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import { EVALUATE_FILE_REQUEST } from '@common/protocol';
import { ReportPanel } from '../views/reportPanel';
import { activeBioDocument, showRequestError } from './reportRequest';

export function registerEvaluateModel(client: LanguageClient, extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.evaluateModel', async () => {
    const document = activeBioDocument();
    if (!document) return;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `BioNER: evaluating the model on ${path.basename(document.uri.fsPath)}`, cancellable: true },
        async (progress, token) => {
          // The server reports the model's batches on this token; the notification shows them.
          const workDoneToken = randomUUID();
          let shown = 0;
          const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
            if (value.kind === 'end' || value.percentage === undefined) return;
            progress.report({ increment: value.percentage - shown, message: value.message });
            shown = value.percentage;
          });
          try {
            return await client.sendRequest(EVALUATE_FILE_REQUEST, { textDocument: { uri: document.uri.toString() }, workDoneToken }, token);
          } finally {
            listener.dispose();
          }
        },
      );
      ReportPanel.show(extensionUri, { kind: 'evaluation', file: vscode.workspace.asRelativePath(document.uri), result }, document.uri);
    } catch (error) {
      showRequestError(error);
    }
  });
}
