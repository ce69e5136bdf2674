/** The messages between the extension and a report's webview: the extension sends what to draw, the view asks for actions. */
import type { Range } from 'vscode-languageserver-protocol';
import type { CorpusStatisticsResult, EvaluateFileResult } from '@common/protocol';

export type Report =
  | { kind: 'corpusStatistics'; result: CorpusStatisticsResult }
  | {
      kind: 'evaluation';
      /** The evaluated file, as the workspace names it. */
      file: string;
      result: EvaluateFileResult;
    };

/** Extension → webview: the report to draw, sent whenever the page (re)loads. */
export interface ShowReport {
  kind: 'show';
  report: Report;
}

/** Webview → extension. */
export type ViewMessage =
  /** The page loaded (first shown, or shown again after being hidden): it needs the report. */
  | { kind: 'ready' }
  | { kind: 'export'; format: 'markdown' | 'json' }
  /** Show this range of the report's file in the editor. */
  | { kind: 'reveal'; range: Range };
