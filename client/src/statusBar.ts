/** The status bar item: which model runs, on which device, how fast; or why there is none. */
import * as vscode from 'vscode';
import type { ModelStatus } from '@common/protocol';

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bioner.model', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'BioNER model';
    this.item.command = 'bioner.selectModel';
    this.show({ state: 'loading' });
  }

  show(status: ModelStatus): void {
    const speed = status.tokensPerSecond ? ` · ${status.tokensPerSecond.toLocaleString('en-US')} tok/s` : '';
    switch (status.state) {
      case 'ready':
        // Text leaves the machine: the status bar says so, and where.
        this.item.text = status.remote ? `$(cloud-upload) ${status.model} · ${hostOf(status.remote)}${speed}` : `$(beaker) ${status.model} · ${status.device}${speed}`;
        this.item.backgroundColor = status.message ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
        break;
      case 'loading':
        this.item.text = `$(loading~spin) BioNER${status.model ? `: ${status.model}` : ''}`;
        this.item.backgroundColor = undefined;
        break;
      case 'none':
      case 'error':
        this.item.text = '$(warning) BioNER: no model';
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
    }
    const tooltip = new vscode.MarkdownString(
      [
        `**BioNER** — model ${status.model ?? '(none)'}${status.device ? ` on ${status.device}` : ''}${speed}`,
        status.remote ? `The token ids of open documents are sent to **${status.remote}** for inference (\`bioner.inference.endpoint\`).` : '',
        status.message ?? '',
        'Click to choose a model folder.',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** "gpu-server:8000" of "http://gpu-server:8000/": short enough for the status bar. */
function hostOf(endpoint: string): string {
  return URL.canParse(endpoint) ? new URL(endpoint).host : endpoint;
}
