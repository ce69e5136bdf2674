/** Activates BioNER: starts the language server and registers the commands. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { FILE_TOO_LARGE_NOTIFICATION, LANGUAGE_ID, MODEL_STATUS_NOTIFICATION, type FileTooLargeParams } from '@common/protocol';
import { DEFAULT_PROSE_LANGUAGES } from '@common/settings';
import { registerConvertCommands } from './commands/convert';
import { registerConvertFormat } from './commands/convertFormat';
import { registerEvaluateModel } from './commands/evaluateModel';
import { registerFineTune } from './commands/fineTune';
import { registerInferenceToken } from './commands/inferenceToken';
import { registerReloadModel } from './commands/reloadModel';
import { registerReviewLabelIssues } from './commands/reviewLabelIssues';
import { registerSelectModel } from './commands/selectModel';
import { registerShowCorpusStatistics } from './commands/showCorpusStatistics';
import { registerTreatAsBio } from './commands/treatAsBio';
import { ModelStatusBar } from './statusBar';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  // Which languages get model predictions is read once: changing it needs a window reload.
  const proseLanguages = vscode.workspace.getConfiguration('bioner').get<string[]>('proseLanguages', DEFAULT_PROSE_LANGUAGES);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [LANGUAGE_ID, ...proseLanguages].flatMap((language) => [
      { language, scheme: 'file' },
      { language, scheme: 'untitled' },
    ]),
    synchronize: { configurationSection: 'bioner' },
    initializationOptions: { proseLanguages },
  };
  client = new LanguageClient('bioner', 'BioNER', serverOptions, clientOptions);
  const statusBar = new ModelStatusBar();
  const trainingLog = vscode.window.createOutputChannel('BioNER Training');
  context.subscriptions.push(
    statusBar,
    trainingLog,
    registerFineTune(trainingLog),
    registerTreatAsBio(),
    registerSelectModel(),
    registerReloadModel(client),
    ...registerInferenceToken(context, client),
    registerShowCorpusStatistics(client, context.extensionUri),
    registerEvaluateModel(client, context.extensionUri),
    registerReviewLabelIssues(client),
    ...registerConvertCommands(),
    registerConvertFormat(),
    client.onNotification(FILE_TOO_LARGE_NOTIFICATION, (params) => void warnFileTooLarge(params)),
    client.onNotification(MODEL_STATUS_NOTIFICATION, (status) => statusBar.show(status)),
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
