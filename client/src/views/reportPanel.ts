/**
 * A report's webview panel (corpus statistics, an evaluation): a page under a strict CSP that loads the bundled
 * dist/webview.js and dist/webview.css, the report posted to it whenever it loads, and its requests carried out:
 * exports to new untitled documents, errors revealed in the editor.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { evaluationJson, evaluationMarkdown, statsJson, statsMarkdown } from '../../../server/src/core/reports/export';
import type { Report, ShowReport, ViewMessage } from '../webview/messages';

const VIEW_TYPES: Record<Report['kind'], string> = { corpusStatistics: 'bioner.corpusStatistics', evaluation: 'bioner.evaluation' };

export class ReportPanel {
  /** One panel per kind of report: running its command again shows the new report there. */
  private static readonly shown = new Map<Report['kind'], ReportPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows `report` of the file `source` in its kind's panel, opened beside the editor the first time. */
  static show(extensionUri: vscode.Uri, report: Report, source: vscode.Uri): void {
    const open = ReportPanel.shown.get(report.kind);
    if (open) {
      open.report = report;
      open.source = source;
      open.panel.title = titleOf(report);
      void open.post();
      open.panel.reveal(undefined, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES[report.kind], titleOf(report), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      // The page is rebuilt when shown again and asks for the report ('ready'): nothing to keep while hidden.
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    });
    ReportPanel.shown.set(report.kind, new ReportPanel(panel, extensionUri, report, source));
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private report: Report,
    private source: vscode.Uri,
  ) {
    panel.webview.html = page(panel.webview, extensionUri, titleOf(report));
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: ViewMessage) => void this.received(message)),
      panel.onDidDispose(() => {
        ReportPanel.shown.delete(report.kind);
        for (const disposable of this.disposables) disposable.dispose();
      }),
    );
  }

  private post(): Thenable<boolean> {
    const message: ShowReport = { kind: 'show', report: this.report };
    return this.panel.webview.postMessage(message);
  }

  private async received(message: ViewMessage): Promise<void> {
    if (message.kind === 'ready') await this.post();
    else if (message.kind === 'export') await this.export(message.format);
    else if (message.kind === 'reveal') await this.reveal(message.range);
  }

  private async export(format: 'markdown' | 'json'): Promise<void> {
    const content = format === 'json' ? asJson(this.report) : asMarkdown(this.report);
    const document = await vscode.workspace.openTextDocument({ language: format, content });
    await vscode.window.showTextDocument(document, { viewColumn: this.editorColumn() });
  }

  private async reveal(range: Extract<ViewMessage, { kind: 'reveal' }>['range']): Promise<void> {
    const selection = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
    const editor = await vscode.window.showTextDocument(this.source, { viewColumn: this.editorColumn(), selection });
    editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** The column of the report's file when it is visible, else the first: never over the report itself. */
  private editorColumn(): vscode.ViewColumn {
    const visible = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === this.source.toString());
    return visible?.viewColumn ?? vscode.ViewColumn.One;
  }
}

function titleOf(report: Report): string {
  return report.kind === 'corpusStatistics' ? `Corpus: ${path.basename(report.result.stats.corpus)}` : `Evaluation: ${path.basename(report.file)}`;
}

/** The same JSON as `bioner stats --json` (for the one corpus) and `bioner eval --json`. */
function asJson(report: Report): string {
  return report.kind === 'corpusStatistics' ? statsJson([report.result.stats]) : evaluationJson(report.result.evaluation);
}

function asMarkdown(report: Report): string {
  if (report.kind === 'corpusStatistics') return statsMarkdown(report.result.stats);
  const { model, types, abbreviations, evaluation } = report.result;
  return evaluationMarkdown(evaluation, { file: report.file, model, types, abbreviations });
}

/** The page: no inline script or style; the script runs by nonce, styles and fonts come only from dist/. */
function page(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css'));
  const nonce = randomBytes(16).toString('hex');
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource}; img-src ${webview.cspSource} data:; font-src ${webview.cspSource}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main id="report"><p class="loading">Loading the report…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
