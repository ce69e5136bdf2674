/** "Convert File to IOB2/IOBES": runs the server's whole-file source action on the active editor. */
import * as vscode from 'vscode';
import { CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND } from '@common/protocol';

export function registerConvertCommands(): vscode.Disposable[] {
  const conversions: [string, string][] = [
    ['bioner.convertToIob2', CONVERT_TO_IOB2_KIND],
    ['bioner.convertToIobes', CONVERT_TO_IOBES_KIND],
  ];
  return conversions.map(([command, kind]) =>
    vscode.commands.registerCommand(command, () => vscode.commands.executeCommand('editor.action.sourceAction', { kind, apply: 'first' })),
  );
}
