/**
 * The report webview's script (bundled into dist/webview.js for the browser): draws the report the extension posts,
 * draws it again in the new colours when the theme changes, and asks the extension for exports and reveals.
 */
import type { Chart } from 'chart.js';
import './report.css';
import { barChart, readTheme, type BarSpec } from './charts';
import { evaluationView } from './evaluationView';
import type { Report, ShowReport, ViewMessage } from './messages';
import { statisticsView } from './statisticsView';
import type { ViewContext, ViewState } from './view';

interface VsCodeApi {
  postMessage(message: ViewMessage): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('report')!;
let report: Report | undefined;
let charts: Chart[] = [];

function render(): void {
  if (!report) return;
  for (const chart of charts) chart.destroy();
  const theme = readTheme();
  const pending: [HTMLElement, BarSpec][] = [];
  const context: ViewContext = {
    theme,
    chart: (container, spec) => pending.push([container, spec]),
    post: (message) => vscode.postMessage(message),
    state: vscode.getState() ?? {},
    setState: (state) => vscode.setState(state),
  };
  root.replaceChildren(report.kind === 'corpusStatistics' ? statisticsView(report.result, context) : evaluationView(report, context));
  // In the page now, so each chart takes its container's size.
  charts = pending.map(([container, spec]) => barChart(container, spec, theme));
}

window.addEventListener('message', (event: MessageEvent<ShowReport>) => {
  if (event.data?.kind !== 'show') return;
  report = event.data.report;
  render();
});
// A theme change sets <body>'s class (vscode-light, vscode-dark…) and theme id, and the colour variables in <html>'s
// style (which alone change between two dark themes).
const themeChanged = new MutationObserver(render);
themeChanged.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
themeChanged.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
vscode.postMessage({ kind: 'ready' });
