/**
 * "BioNER: Set Inference Server Token…": the Authorization header for bioner.inference.endpoint, kept in VS Code's
 * secret storage (never in a settings file) and sent to the language server whenever it starts or the token changes.
 */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { INFERENCE_AUTHORIZATION_NOTIFICATION } from '@common/protocol';

const SECRET = 'bioner.inference.authorization';

export function registerInferenceToken(context: vscode.ExtensionContext, client: LanguageClient): vscode.Disposable[] {
  const send = async () => {
    if (client.state !== State.Running) return;
    await client.sendNotification(INFERENCE_AUTHORIZATION_NOTIFICATION, { authorization: (await context.secrets.get(SECRET)) ?? null });
  };
  return [
    vscode.commands.registerCommand('bioner.setInferenceToken', async () => {
      const value = await vscode.window.showInputBox({
        title: 'BioNER: Inference Server Token',
        prompt: "The Authorization header sent to bioner.inference.endpoint, e.g. 'Bearer <token>'. Empty removes it. Kept in VS Code's secret storage.",
        password: true,
        ignoreFocusOut: true,
      });
      if (value === undefined) return;
      await (value.trim() ? context.secrets.store(SECRET, value.trim()) : context.secrets.delete(SECRET));
    }),
    context.secrets.onDidChange((event) => void (event.key === SECRET && send())),
    // A restarted server (after a crash) has forgotten it.
    client.onDidChangeState((event) => void (event.newState === State.Running && send())),
  ];
}
