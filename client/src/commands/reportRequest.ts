/** What the report commands share: the active BIO file they report on, and how a failed request is told. */
import * as vscode from 'vscode';
import { LSPErrorCodes } from 'vscode-languageclient/node';
import { LANGUAGE_ID } from '@common/protocol';

/** The active editor's BIO document, or undefined after saying that one is needed. */
export function activeBioDocument(): vscode.TextDocument | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.languageId === LANGUAGE_ID) return document;
  void vscode.window.showErrorMessage('BioNER: open a BIO/CoNLL file first (or switch this one with BioNER: Treat File as BIO/CoNLL).');
  return undefined;
}

/** Shows the server's message; a request the user cancelled needs none. */
export function showRequestError(error: unknown): void {
  if ((error as { code?: number }).code === LSPErrorCodes.RequestCancelled) return;
  void vscode.window.showErrorMessage(`BioNER: ${(error as Error).message}`);
}
