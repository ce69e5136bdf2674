/** Renders findings of the `check` command as text, JSON or SARIF 2.1.0. */
import { DIAGNOSTIC_CODES, DIAGNOSTICS, type DiagnosticCode, type SeverityName } from '@common/diagnostics';
import type { Finding, Related, Span } from './finding';

export interface FileReport {
  path: string;
  findings: Finding[];
  /** Set when the file could not be read. */
  error?: string;
}

export type Severities = Record<DiagnosticCode, SeverityName>;

export function visibleFindings(findings: Finding[], severity: Severities): Finding[] {
  return findings.filter((f) => severity[f.code] !== 'off');
}

export function formatText(reports: FileReport[], severity: Severities): string {
  const out: string[] = [];
  let counts = { error: 0, warning: 0, other: 0 };
  for (const report of reports) {
    if (report.error) {
      out.push(`${report.path}: error: ${report.error}`);
      counts.error++;
    }
    for (const f of visibleFindings(report.findings, severity)) {
      const level = severity[f.code];
      out.push(`${report.path}:${f.line + 1}:${f.start + 1}: ${level} ${f.code}: ${f.message}`);
      for (const r of f.related ?? []) out.push(`    ${r.file ?? report.path}:${r.line + 1}:${r.start + 1}: ${r.message}`);
      if (level === 'error' || level === 'warning') counts[level]++;
      else counts.other++;
    }
  }
  out.push(`${reports.length} file(s) checked: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.other} other`);
  return out.join('\n');
}

export function formatJson(reports: FileReport[], severity: Severities): string {
  const files = reports.map((r) => ({
    path: r.path,
    ...(r.error ? { error: r.error } : {}),
    findings: visibleFindings(r.findings, severity).map((f) => ({
      code: f.code,
      severity: severity[f.code],
      line: f.line + 1,
      column: f.start + 1,
      endColumn: f.end + 1,
      message: f.message,
      fixes: f.fixes.map((x) => ({ title: x.title, edits: x.edits.map((e) => ({ line: e.line + 1, column: e.start + 1, endColumn: e.end + 1, newText: e.newText })) })),
      ...(f.related?.length
        ? { related: f.related.map((rel) => ({ path: rel.file ?? r.path, line: rel.line + 1, column: rel.start + 1, endColumn: rel.end + 1, message: rel.message })) }
        : {}),
    })),
  }));
  return JSON.stringify({ files }, null, 2);
}

const SARIF_LEVEL: Record<SeverityName, string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note', off: 'none' };

export function formatSarif(reports: FileReport[], severity: Severities, toolVersion: string): string {
  const uri = (path: string) => path.split('\\').join('/');
  // SARIF columns count UTF-16 code units by default, like LSP.
  const region = (span: Span) => ({ startLine: span.line + 1, startColumn: span.start + 1, endLine: span.line + 1, endColumn: Math.max(span.end, span.start) + 1 });
  const relatedLocation = (path: string) => (rel: Related, id: number) => ({
    id,
    physicalLocation: { artifactLocation: { uri: uri(rel.file ?? path) }, region: region(rel) },
    message: { text: rel.message },
  });
  const results = reports.flatMap((r) =>
    visibleFindings(r.findings, severity).map((f) => ({
      ruleId: f.code,
      ruleIndex: DIAGNOSTIC_CODES.indexOf(f.code),
      level: SARIF_LEVEL[severity[f.code]],
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uri(r.path) },
            region: region(f),
          },
        },
      ],
      ...(f.related?.length ? { relatedLocations: f.related.map(relatedLocation(r.path)) } : {}),
      ...(f.fixes.length
        ? {
            fixes: f.fixes.map((x) => ({
              description: { text: x.title },
              artifactChanges: [
                {
                  artifactLocation: { uri: uri(r.path) },
                  replacements: x.edits.map((e) => ({
                    deletedRegion: { startLine: e.line + 1, startColumn: e.start + 1, endLine: e.line + 1, endColumn: e.end + 1 },
                    insertedContent: { text: e.newText },
                  })),
                },
              ],
            })),
          }
        : {}),
    })),
  );
  const notifications = reports
    .filter((r) => r.error)
    .map((r) => ({ level: 'error', message: { text: `${r.path}: ${r.error}` } }));
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'bioner',
              version: toolVersion,
              informationUri: 'https://example.invalid/bioner',
              rules: DIAGNOSTIC_CODES.map((code) => ({
                id: code,
                shortDescription: { text: DIAGNOSTICS[code].description },
                defaultConfiguration: { level: SARIF_LEVEL[severity[code]] },
              })),
            },
          },
          columnKind: 'utf16CodeUnits',
          results,
          invocations: [{ executionSuccessful: notifications.length === 0, toolExecutionNotifications: notifications }],
        },
      ],
    },
    null,
    2,
  );
}
