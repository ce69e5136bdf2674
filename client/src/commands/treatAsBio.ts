/** "BioNER: Treat File as BIO/CoNLL": switches the active editor's language to `bio`. */
import * as vscode from 'vscode';
import { LANGUAGE_ID } from '@common/protocol';

export function registerTreatAsBio(): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.treatAsBio', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('BioNER: open a file first.');
      return;
    }
    await vscode.languages.setTextDocumentLanguage(editor.document, LANGUAGE_ID);
  });
}
