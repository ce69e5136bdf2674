/**
 * "BioNER: Fine-tune Model…": picks the training and dev files, the base model and the output folder, runs the
 * trainer with a cancellable progress notification, and offers to switch to the new model.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LANGUAGE_ID } from '@common/protocol';
import { SETTINGS } from '@common/settings';
import { checkPython, startTraining, type TrainEvent, type TrainRequest } from '../../../server/src/core/train/trainer';

const SCRATCH = 'Compact model from scratch';

export function registerFineTune(output: vscode.OutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.fineTune', async () => {
    // The manifest's `enablement` only hides the command from the palette and menus; another extension can still run
    // it with executeCommand, and it would spawn Python.
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('BioNER: fine-tuning runs Python programs; trust this workspace first.');
      return;
    }
    const request = await askForRequest();
    if (!request) return;
    const config = vscode.workspace.getConfiguration('bioner');
    const python = config.get<string>('pythonPath') || (process.platform === 'linux' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const problem = checkPython(python, request.base !== undefined);
    if (problem) {
      const choice = await vscode.window.showErrorMessage(`BioNER cannot train: ${problem}`, 'Open Settings');
      if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'bioner.pythonPath');
      return;
    }
    const maxMinutes = config.get<number>('training.maxMinutes', SETTINGS['training.maxMinutes'].default);
    const extra = config.get<string[]>('training.extraArgs', [...SETTINGS['training.extraArgs'].default]);
    await train(python, { ...request, maxMinutes, extra }, output);
  });
}

async function askForRequest(): Promise<TrainRequest | undefined> {
  const open = vscode.window.activeTextEditor?.document;
  const current = open?.languageId === LANGUAGE_ID && open.uri.scheme === 'file' ? open.uri.fsPath : undefined;
  const trainFile = await pickFile('Training file', current);
  if (!trainFile) return undefined;
  const devFile = await pickFile('Dev file (model selection)', siblingSplit(trainFile, 'dev'));
  if (!devFile) return undefined;
  const basePick = await vscode.window.showQuickPick([SCRATCH, 'Hugging Face checkpoint folder… (LoRA)'], { title: 'Base model', ignoreFocusOut: true });
  if (!basePick) return undefined;
  let base: string | undefined;
  if (basePick !== SCRATCH) {
    base = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'A local Hugging Face checkpoint (config.json, weights, tokenizer)' }))?.[0]?.fsPath;
    if (!base) return undefined;
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(trainFile);
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const out = await vscode.window.showInputBox({
    title: 'Output model folder',
    value: path.join(root, '.bioner', 'models', `${path.basename(trainFile, path.extname(trainFile))}-${stamp}`),
    ignoreFocusOut: true,
  });
  return out ? { train: [trainFile], dev: devFile, out, base } : undefined;
}

/** The same corpus's other split: train.tsv → dev.tsv (or devel, validation). */
function siblingSplit(file: string, split: 'dev'): string | undefined {
  const base = path.basename(file);
  for (const name of [split, 'devel', 'validation', 'valid']) {
    const candidate = path.join(path.dirname(file), base.replace(/train(ing)?/i, name));
    if (candidate !== file && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function pickFile(title: string, suggestion: string | undefined): Promise<string | undefined> {
  if (suggestion) {
    const choice = await vscode.window.showQuickPick([`Use ${path.basename(suggestion)}`, 'Choose another file…'], { title, placeHolder: suggestion, ignoreFocusOut: true });
    if (!choice) return undefined;
    if (choice.startsWith('Use ')) return suggestion;
  }
  return (await vscode.window.showOpenDialog({ canSelectMany: false, title }))?.[0]?.fsPath;
}

function progressMessage(event: TrainEvent, state: { epoch?: number; loss?: number; f1?: number }): string | undefined {
  if (event.event === 'step') Object.assign(state, { loss: event.loss, epoch: event.epoch ?? state.epoch });
  else if (event.event === 'epoch') Object.assign(state, { epoch: event.epoch, f1: event.dev?.f1 });
  else if (event.event === 'export') return 'exporting the model…';
  else if (event.event === 'start') return `training on ${event.train_sentences ?? '?'} sentences (${event.device ?? 'cpu'})`;
  else return undefined;
  const parts = [state.epoch !== undefined && `epoch ${state.epoch}`, state.loss !== undefined && `loss ${state.loss.toFixed(3)}`, state.f1 !== undefined && `dev F1 ${state.f1}`];
  return parts.filter(Boolean).join(' · ');
}

async function train(python: string, request: TrainRequest, output: vscode.OutputChannel): Promise<void> {
  output.appendLine(`[${new Date().toLocaleTimeString()}] ${python} -m training.train → ${request.out}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'BioNER: fine-tuning', cancellable: true },
    async (progress, token) => {
      const state = {};
      const run = startTraining(python, request, {
        onEvent: (event) => {
          output.appendLine(JSON.stringify(event));
          const message = progressMessage(event, state);
          if (message) progress.report({ message });
        },
        onLog: (line) => output.appendLine(line),
      });
      token.onCancellationRequested(() => run.cancel());
      return run.finished;
    },
  );
  if (result.event === 'error') {
    const choice = await vscode.window.showErrorMessage(`BioNER: training ${result.kind === 'terminated' ? 'cancelled' : 'failed'}: ${result.message}`, 'Show Log');
    if (choice) output.show();
    return;
  }
  const choice = await vscode.window.showInformationMessage(
    `BioNER: model trained${result.dev_f1 !== undefined ? ` (dev F1 ${result.dev_f1})` : ''} in ${result.out}.`,
    'Use This Model',
    'Show Log',
  );
  if (choice === 'Show Log') output.show();
  if (choice === 'Use This Model') {
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    // The server reloads the model when bioner.modelPath changes: no restart.
    await vscode.workspace.getConfiguration('bioner').update('modelPath', result.out, target);
  }
}
