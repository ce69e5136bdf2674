/**
 * What the commands that ask the server about the active BIO file share: that file, a cancellable notification fed by
 * the server's progress, and how a failed request is told.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { LSPErrorCodes, WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import { LANGUAGE_ID } from '@common/protocol';

/** The active editor's BIO document, or undefined after saying that one is needed. */
export function activeBioDocument(): vscode.TextDocument | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.languageId === LANGUAGE_ID) return document;
  void vscode.window.showErrorMessage('BioNER: open a BIO/CoNLL file first (or switch this one with BioNER: Treat File as BIO/CoNLL).');
  return undefined;
}

/**
 * Sends a request under a cancellable notification titled `title`: the server reports the model's batches on the
 * work-done token it is given, and the notification's cancel cancels the request.
 */
export function requestWithProgress<R>(client: LanguageClient, title: string, send: (workDoneToken: string, token: vscode.CancellationToken) => Promise<R>): Thenable<R> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const workDoneToken = randomUUID();
    let shown = 0;
    const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind === 'end' || value.percentage === undefined) return;
      progress.report({ increment: value.percentage - shown, message: value.message });
      shown = value.percentage;
    });
    try {
      return await send(workDoneToken, token);
    } finally {
      listener.dispose();
    }
  });
}

/** Shows the server's message; a request the user cancelled needs none. */
export function showRequestError(error: unknown): void {
  if ((error as { code?: number }).code === LSPErrorCodes.RequestCancelled) return;
  void vscode.window.showErrorMessage(`BioNER: ${(error as Error).message}`);
}
