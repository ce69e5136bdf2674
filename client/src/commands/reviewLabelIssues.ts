/**
 * "BioNER: Review Likely Label Errors": asks the server for the open BIO file's likely label errors, most likely
 * first, and walks through them: each item's region is selected in the editor and a quick pick offers to accept
 * the model's tags (an undoable edit), reject the item (remembered in `.bioner/`, never shown again for the same
 * sentence and gold tags) or skip it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { LABEL_ISSUES_REQUEST, type LabelIssueItem, type LabelIssuesResult } from '@common/protocol';
import { DECISIONS_FILE, ReviewDecisions, type Decision } from '../../../server/src/core/review/decisions';
import { activeBioDocument, requestWithProgress, showRequestError } from './serverRequests';

type Choice = Decision | 'skipped';

export function registerReviewLabelIssues(client: LanguageClient): vscode.Disposable {
  return vscode.commands.registerCommand('bioner.reviewLabelIssues', async () => {
    const document = activeBioDocument();
    const editor = vscode.window.activeTextEditor;
    if (!document || !editor) return;
    let result: LabelIssuesResult;
    try {
      result = await requestWithProgress(client, `BioNER: scoring the labels of ${path.basename(document.uri.fsPath)}`, (workDoneToken, token) =>
        client.sendRequest(LABEL_ISSUES_REQUEST, { textDocument: { uri: document.uri.toString() }, workDoneToken }, token),
      );
    } catch (error) {
      showRequestError(error);
      return;
    }
    const store = decisionsUri(document.uri);
    let decisions: ReviewDecisions;
    try {
      decisions = await readDecisions(store);
    } catch (error) {
      void vscode.window.showErrorMessage(`BioNER: ${(error as Error).message}`);
      return;
    }
    const items = result.items.filter((item) => !decisions.isRejected(item.key));
    const hidden = result.items.length - items.length;
    if (items.length === 0) {
      void vscode.window.showInformationMessage(`BioNER: no likely label error in this file${hidden ? ` (${hidden} rejected before)` : ''}.`);
      return;
    }
    const counts = await walk(editor, items, async (item, decision) => {
      decisions.record(item.key, {
        decision,
        file: vscode.workspace.asRelativePath(document.uri),
        words: item.sentence.slice(item.start, item.end).join(' '),
        gold: item.gold.join(' '),
        suggestion: item.suggestion.join(' '),
        at: new Date().toISOString(),
      });
      await writeDecisions(store, decisions);
    });
    const seen = counts.accepted + counts.rejected + counts.skipped;
    void vscode.window.showInformationMessage(
      `BioNER review: ${counts.accepted} accepted, ${counts.rejected} rejected, ${counts.skipped} skipped of ${items.length}${seen < items.length ? ' (stopped)' : ''}.`,
    );
  });
}

/** Shows the items one by one until the last or until the user closes the pick; returns what was decided. */
async function walk(editor: vscode.TextEditor, items: LabelIssueItem[], remember: (item: LabelIssueItem, decision: Decision) => Promise<void>): Promise<Record<Choice, number>> {
  const counts: Record<Choice, number> = { accepted: 0, rejected: 0, skipped: 0 };
  const highlight = vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'), isWholeLine: true });
  try {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const range = toRange(item.range);
      editor.selection = new vscode.Selection(range.start, range.start);
      // In the centre: the pick covers the editor's top lines.
      editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
      editor.setDecorations(highlight, [range]);
      const choice = await ask(item, i, items.length);
      if (!choice) break;
      if (choice === 'accepted' && !(await applySuggestion(editor.document, item))) break;
      if (choice !== 'skipped') await remember(item, choice);
      counts[choice]++;
    }
  } finally {
    highlight.dispose();
  }
  return counts;
}

function ask(item: LabelIssueItem, index: number, total: number): Promise<Choice | undefined> {
  const words = item.sentence.slice(item.start, item.end).join(' ');
  const options: (vscode.QuickPickItem & { choice: Choice })[] = [
    { choice: 'accepted', label: '$(check) Accept', description: item.suggestion.join(' '), detail: `Apply the model's tags to '${words}'` },
    { choice: 'rejected', label: '$(close) Reject', description: item.gold.join(' '), detail: 'The gold tags are right: never show this item again' },
    { choice: 'skipped', label: '$(arrow-right) Skip', detail: 'Decide later' },
  ];
  const pick = vscode.window.createQuickPick<(typeof options)[number]>();
  pick.title = `Likely label error ${index + 1} of ${total}: '${words}' (label quality ${item.score.toFixed(3)})`;
  pick.placeholder = markedSentence(item);
  pick.items = options;
  pick.ignoreFocusOut = true;
  return new Promise((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]?.choice);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** Words of the sentence shown on each side of the region: the pick's one line holds about 90 characters. */
const CONTEXT_WORDS = 5;

/** The region in brackets with its gold tags beside each word, amid the sentence's nearest words. */
function markedSentence(item: LabelIssueItem): string {
  const region = item.sentence.slice(item.start, item.end).map((word, k) => `${word}/${item.gold[k]}`);
  const from = Math.max(0, item.start - CONTEXT_WORDS);
  const to = Math.min(item.sentence.length, item.end + CONTEXT_WORDS);
  const before = [...(from > 0 ? ['…'] : []), ...item.sentence.slice(from, item.start)];
  const after = [...item.sentence.slice(item.end, to), ...(to < item.sentence.length ? ['…'] : [])];
  return [...before, `[ ${region.join(' ')} ]`, ...after].join(' ');
}

/** Applies the item's edits as one undoable edit, unless the file changed where they apply. */
async function applySuggestion(document: vscode.TextDocument, item: LabelIssueItem): Promise<boolean> {
  const stale = item.edits.find((edit) => document.getText(toRange(edit.range)) !== edit.oldText);
  if (stale) {
    void vscode.window.showWarningMessage(`BioNER: line ${stale.range.start.line + 1} changed since the review started; run the review again.`);
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  for (const change of item.edits) edit.replace(document.uri, toRange(change.range), change.newText);
  return vscode.workspace.applyEdit(edit);
}

const toRange = (range: LabelIssueItem['range']) => new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);

/** `.bioner/review-decisions.json` in the file's workspace folder (beside the file outside a workspace). */
function decisionsUri(file: vscode.Uri): vscode.Uri {
  const root = vscode.workspace.getWorkspaceFolder(file)?.uri ?? vscode.Uri.joinPath(file, '..');
  return vscode.Uri.joinPath(root, '.bioner', DECISIONS_FILE);
}

async function readDecisions(uri: vscode.Uri): Promise<ReviewDecisions> {
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch (error) {
    if ((error as vscode.FileSystemError).code === 'FileNotFound') return ReviewDecisions.empty();
    throw error;
  }
  return ReviewDecisions.parse(new TextDecoder().decode(bytes), vscode.workspace.asRelativePath(uri));
}

async function writeDecisions(uri: vscode.Uri, decisions: ReviewDecisions): Promise<void> {
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(decisions.serialize()));
}
