/** Diagnostic codes: stable identifiers shown in the editor, the CLI and SARIF, documented in README. */
export const DIAGNOSTIC_CODES = [
  'column-count',
  'empty-tag',
  'malformed-tag',
  'invalid-start',
  'unclosed-entity',
  'type-switch',
  'label-typo',
  'mixed-scheme',
  'invisible-character',
  'whitespace-in-token',
  'model-disagreement',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export type SeverityName = 'error' | 'warning' | 'information' | 'hint' | 'off';

export const DEFAULT_SEVERITY: Record<DiagnosticCode, SeverityName> = {
  'column-count': 'error',
  'empty-tag': 'error',
  'malformed-tag': 'error',
  'invalid-start': 'error',
  'unclosed-entity': 'error',
  'type-switch': 'error',
  'label-typo': 'warning',
  'mixed-scheme': 'error',
  'invisible-character': 'warning',
  'whitespace-in-token': 'warning',
  'model-disagreement': 'information',
};

export const DIAGNOSTIC_SOURCE = 'bioner';
