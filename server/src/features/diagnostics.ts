/** Findings → LSP diagnostics, with the fixes in `data` for the code actions to read back. */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { DIAGNOSTIC_SOURCE, type SeverityName } from '@common/diagnostics';
import type { BionerSettings } from '@common/settings';
import type { Finding, Fix } from '../core/checks/finding';
import { spanToRange } from './ranges';

const LSP_SEVERITY: Record<Exclude<SeverityName, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export interface DiagnosticData {
  fixes: Fix[];
}

export function toDiagnostics(uri: string, findings: Finding[], settings: BionerSettings): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const finding of findings) {
    const severity = settings.severity[finding.code];
    if (severity === 'off') continue;
    if (diagnostics.length >= settings.maxDiagnostics) break;
    const data: DiagnosticData = { fixes: finding.fixes };
    diagnostics.push({
      range: spanToRange(finding),
      severity: LSP_SEVERITY[severity],
      code: finding.code,
      source: DIAGNOSTIC_SOURCE,
      message: finding.message,
      data,
      relatedInformation: finding.related?.map((r) => ({ location: { uri: r.file ?? uri, range: spanToRange(r) }, message: r.message })),
    });
  }
  return diagnostics;
}
