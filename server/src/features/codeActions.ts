/** Quick fixes read back from diagnostics (corpus-wide ones resolved later), "fix all", and whole-file scheme conversions. */
import { CodeActionKind, type CodeAction, type CodeActionParams, type TextEdit } from 'vscode-languageserver';
import { CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND } from '@common/protocol';
import { DIAGNOSTIC_SOURCE } from '@common/diagnostics';
import type { ConllAnalysis } from '../core/conll/analysis';
import { conversionEdits, type TargetScheme } from '../core/conll/convert';
import type { CorpusWideFix } from '../core/checks/finding';
import type { DiagnosticData } from './diagnostics';
import { spanToRange } from './ranges';
import { toTextEdit, workspaceEdit } from './workspaceEdits';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.bioner`;
export const CODE_ACTION_KINDS = [CodeActionKind.QuickFix, FIX_ALL_KIND, CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND];

/** A corpus-wide fix leaves its edit to codeAction/resolve (features/corpusRequests.ts), with this data. */
export interface CorpusWideAction {
  uri: string;
  corpusWide: CorpusWideFix;
}

export function codeActions(params: CodeActionParams, analysis: ConllAnalysis): CodeAction[] {
  const uri = params.textDocument.uri;
  const wanted = (kind: string) => !params.context.only || params.context.only.some((only) => kind === only || kind.startsWith(`${only}.`));
  const actions: CodeAction[] = [];
  if (wanted(CodeActionKind.QuickFix)) {
    for (const diagnostic of params.context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      for (const fix of (diagnostic.data as DiagnosticData | undefined)?.fixes ?? []) {
        actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          isPreferred: fix.preferred,
          ...(fix.corpusWide ? { data: { uri, corpusWide: fix.corpusWide } satisfies CorpusWideAction } : { edit: workspaceEdit(uri, fix.edits) }),
        });
      }
    }
  }
  if (wanted(FIX_ALL_KIND)) {
    const edits = preferredFixEdits(analysis);
    if (edits.length > 0) actions.push({ title: `Fix all ${edits.length} auto-fixable BIO problems`, kind: FIX_ALL_KIND, edit: { changes: { [uri]: edits } } });
  }
  const conversions: [string, TargetScheme][] = [
    [CONVERT_TO_IOB2_KIND, 'IOB2'],
    [CONVERT_TO_IOBES_KIND, 'IOBES'],
  ];
  for (const [kind, target] of conversions) {
    // Offered only on request (the source action menu), as computing it walks the whole file.
    if (!params.context.only || !wanted(kind)) continue;
    const edits = conversionEdits(analysis.index.lines(), analysis.layout, target).map((e) => ({ range: spanToRange(e), newText: e.newText }));
    actions.push({ title: `Convert file to ${target} (${edits.length} tags change)`, kind, edit: { changes: { [uri]: edits } } });
  }
  return actions;
}

/** The preferred fix of each finding, skipping fixes that touch a line an earlier fix already edits. */
function preferredFixEdits(analysis: ConllAnalysis): TextEdit[] {
  const edits: TextEdit[] = [];
  const lines = new Set<number>();
  for (const finding of analysis.findings) {
    const fix = finding.fixes.find((f) => f.preferred);
    if (!fix || fix.edits.some((e) => lines.has(e.line))) continue;
    for (const edit of fix.edits) {
      lines.add(edit.line);
      edits.push(toTextEdit(edit));
    }
  }
  return edits;
}
