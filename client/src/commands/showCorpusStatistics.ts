/** "BioNER: Show Corpus Statistics": the charts and tables of the active BIO file's corpus (the BIO files of its folder). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CORPUS_STATISTICS_REQUEST } from '@common/protocol';
import { ReportPanel } from '../views/reportPanel';
import { activeBioDocument, showRequestError } from './serverRequests';

export function registerShowCorpusStatistics(client: LanguageClient, extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.showCorpusStatistics', async () => {
    const document = activeBioDocument();
    if (!document) return;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `BioNER: reading the corpus in ${path.basename(path.dirname(document.uri.fsPath))}…`, cancellable: true },
        (_, token) => client.sendRequest(CORPUS_STATISTICS_REQUEST, { textDocument: { uri: document.uri.toString() } }, token),
      );
      ReportPanel.show(extensionUri, { kind: 'corpusStatistics', result }, document.uri);
    } catch (error) {
      showRequestError(error);
    }
  });
}
