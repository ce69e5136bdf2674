/** "BioNER: Select Model Folder…": picks a model folder and stores it in bioner.modelPath. */
import * as vscode from 'vscode';

export function registerSelectModel(): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.selectModel', async () => {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Use this model',
      title: 'A model folder: config.json, tokenizer.json and onnx/model.onnx',
    });
    if (!picked?.length) return;
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('bioner').update('modelPath', picked[0].fsPath, target);
  });
}
