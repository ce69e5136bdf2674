/** Activates BioNER: starts the language server and registers the commands. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { FILE_TOO_LARGE_NOTIFICATION, LANGUAGE_ID, type FileTooLargeParams } from '@common/protocol';
import { registerConvertCommands } from './commands/convert';
import { registerTreatAsBio } from './commands/treatAsBio';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: LANGUAGE_ID }],
    synchronize: { configurationSection: 'bioner' },
  };
  client = new LanguageClient('bioner', 'BioNER', serverOptions, clientOptions);
  context.subscriptions.push(
    registerTreatAsBio(),
    ...registerConvertCommands(),
    client.onNotification(FILE_TOO_LARGE_NOTIFICATION, (params: FileTooLargeParams) => void warnFileTooLarge(params)),
  );
  await client.start();
}

async function warnFileTooLarge({ uri, sizeMB, limitMB }: FileTooLargeParams): Promise<void> {
  const name = path.basename(vscode.Uri.parse(uri).fsPath);
  const choice = await vscode.window.showWarningMessage(
    `BioNER: ${name} is ${sizeMB.toFixed(1)} MB, over the ${limitMB} MB limit (bioner.maxFileSizeMB); it is not checked in the editor. Check it with \`bioner check\`, which streams.`,
    'Open Settings',
  );
  if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'bioner.maxFileSizeMB');
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
