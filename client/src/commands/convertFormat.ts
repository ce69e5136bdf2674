/**
 * "Convert File to Format…": the active (or a chosen) BIO, doccano, Label Studio, Prodigy or brat file into another of
 * those formats, or an LLM tagger's answers into BIO against a gold file, with the same core code as `bioner convert`.
 * Writes a new file (never the input) and lists every problem, with its place, in an output channel.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveSettings, type BionerSettings } from '@common/settings';
import { convertFile, describeConversion, outputFiles, outputsAt, overwrittenInput, type Conversion } from '../../../server/src/core/formats/convertFile';
import { importGenerative, MissingTypeError } from '../../../server/src/core/formats/importGenerative';
import type { TargetFormat } from '../../../server/src/core/formats/model';

interface Target {
  format: TargetFormat | 'generative';
  label: string;
  description: string;
  extension: string;
}

const TARGETS: Target[] = [
  { format: 'iob2', label: 'IOB2', description: 'BIO/CoNLL, one token a line', extension: '.bio' },
  { format: 'iobes', label: 'IOBES', description: 'BIO/CoNLL with E- and S- tags', extension: '.bioes' },
  { format: 'doccano', label: 'doccano', description: 'JSONL: {"text", "label": [[start, end, type]]}', extension: '.jsonl' },
  { format: 'labelstudio', label: 'Label Studio', description: 'JSON tasks with text labels', extension: '.json' },
  { format: 'prodigy', label: 'Prodigy', description: 'JSONL: {"text", "tokens", "spans"}', extension: '.jsonl' },
  { format: 'brat', label: 'brat standoff', description: 'a .txt and its .ann', extension: '.ann' },
  { format: 'generative', label: 'IOB2 from LLM answers…', description: 'markers, JSON or Type: lines, aligned to a gold BIO file', extension: '.pred.bio' },
];

export function registerConvertFormat(): vscode.Disposable {
  const log = vscode.window.createOutputChannel('BioNER Conversion');
  const command = vscode.commands.registerCommand('bioner.convertToFormat', async () => {
    try {
      await convertWithDialogs(log);
    } catch (error) {
      void vscode.window.showErrorMessage(`BioNER: ${(error as Error).message}`);
    }
  });
  return vscode.Disposable.from(command, log);
}

async function convertWithDialogs(log: vscode.OutputChannel): Promise<void> {
  const input = await chooseInput();
  if (!input) return;
  const target = await vscode.window.showQuickPick(TARGETS, { title: `Convert ${path.basename(input)} to`, ignoreFocusOut: true });
  if (!target) return;
  const gold = target.format === 'generative' ? await chooseGold(input) : undefined;
  if (target.format === 'generative' && !gold) return;
  const outputUri = await vscode.window.showSaveDialog({
    title: target.format === 'brat' ? 'brat output (the .txt is written beside the .ann)' : `Save ${target.label} as`,
    defaultUri: vscode.Uri.file(defaultOutput(input, target)),
  });
  if (!outputUri) return;
  const to = target.format === 'generative' ? 'iob2' : target.format;
  const outputs = outputFiles(to, outputUri.fsPath);
  const overwritten = [input, gold].map((file) => file && overwrittenInput(file, outputs)).find(Boolean);
  if (overwritten) throw new Error(`${path.basename(overwritten)} is an input of this conversion: choose another output`);
  const conversion = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `BioNER: converting ${path.basename(input)}…` }, () =>
    gold ? importAnswers(input, gold) : convertFile({ input, to, text: 'auto', settings: bioSettings() }),
  );
  if (!conversion) return;
  await Promise.all(outputsAt(conversion, outputUri.fsPath).map(({ file, text }) => writeFile(file, text)));
  await report(log, input, outputs, conversion);
}

/** The active editor's file, else one picked; a file with unsaved edits is saved first on request. */
async function chooseInput(): Promise<string | undefined> {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.uri.scheme === 'file') {
    if (!document.isDirty) return document.uri.fsPath;
    const choice = await vscode.window.showWarningMessage(`${path.basename(document.fileName)} has unsaved changes; the conversion reads the file on disk.`, 'Save and Convert', 'Convert Saved File');
    if (choice === 'Save and Convert' && !(await document.save())) return undefined;
    return choice ? document.uri.fsPath : undefined;
  }
  return (await vscode.window.showOpenDialog({ canSelectMany: false, title: 'File to convert' }))?.[0]?.fsPath;
}

async function chooseGold(input: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(input)),
    title: 'Gold BIO file whose sentences the LLM tagged (one answer per sentence)',
  });
  return picked?.[0]?.fsPath;
}

/** Answers aligned to the gold file; untyped markers (`@@entity##`) ask for their type. */
async function importAnswers(input: string, gold: string, type?: string): Promise<Conversion | undefined> {
  try {
    return await importGenerative({ input, gold, style: 'auto', type, to: 'iob2', settings: bioSettings() });
  } catch (error) {
    if (!(error instanceof MissingTypeError) || type !== undefined) throw error;
    const asked = await vscode.window.showInputBox({ title: 'Entity type of untyped answers', prompt: error.message, ignoreFocusOut: true });
    return asked ? importAnswers(input, gold, asked) : undefined;
  }
}

/** How BIO inputs are read: the editor's own settings. */
function bioSettings(): BionerSettings {
  const config = vscode.workspace.getConfiguration('bioner');
  return resolveSettings({ tagColumn: config.get('tagColumn'), scheme: config.get('scheme') });
}

/** Beside the input, with the target's extension; a name the input (or its brat partner) has gets the format's name added. */
function defaultOutput(input: string, target: Target): string {
  const stem = input.slice(0, input.length - path.extname(input).length);
  const plain = stem + target.extension;
  const to = target.format === 'generative' ? 'iob2' : target.format;
  return overwrittenInput(input, outputFiles(to, plain)) ? `${stem}.${target.format}${target.extension}` : plain;
}

async function report(log: vscode.OutputChannel, input: string, outputs: readonly string[], conversion: Conversion): Promise<void> {
  log.appendLine(`${input} → ${outputs.join(', ')}`);
  for (const line of describeConversion(conversion)) log.appendLine(`  ${line}`);
  const written = outputs.map((o) => path.basename(o)).join(' and ');
  const open = 'Open';
  const choice = conversion.problems.length
    ? await vscode.window.showWarningMessage(`BioNER: wrote ${written} with ${conversion.problems.length} problem(s): some annotations could not be represented.`, 'Show Problems', open)
    : await vscode.window.showInformationMessage(`BioNER: wrote ${written} (${conversion.entities} entities).`, open);
  if (choice === 'Show Problems') log.show(true);
  if (choice === open) await vscode.window.showTextDocument(vscode.Uri.file(outputs[outputs.length - 1]));
}
