import { DEFAULT_SEVERITY, type DiagnosticCode, type SeverityName } from './diagnostics';

export type SchemeSetting = 'auto' | 'IOB1' | 'IOB2' | 'IOBES' | 'BILOU';

/** The `bioner.*` settings the server reads; defaults mirror package.json. */
export interface BionerSettings {
  tagColumn: number;
  scheme: SchemeSetting;
  maxFileSizeMB: number;
  maxDiagnostics: number;
  severity: Record<DiagnosticCode, SeverityName>;
}

export const DEFAULT_SETTINGS: BionerSettings = {
  tagColumn: -1,
  scheme: 'auto',
  maxFileSizeMB: 20,
  maxDiagnostics: 1000,
  severity: { ...DEFAULT_SEVERITY },
};

/** Fills what a client left out (or sent with the wrong type) with defaults. */
export function resolveSettings(raw: Partial<BionerSettings> | undefined | null): BionerSettings {
  const r = raw ?? {};
  const pick = <T>(value: unknown, fallback: T, ok: (v: unknown) => boolean): T => (ok(value) ? (value as T) : fallback);
  const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const severity = { ...DEFAULT_SEVERITY };
  for (const [code, value] of Object.entries(r.severity ?? {})) {
    if (code in severity && ['error', 'warning', 'information', 'hint', 'off'].includes(value as string)) {
      severity[code as DiagnosticCode] = value as SeverityName;
    }
  }
  return {
    tagColumn: Math.trunc(pick(r.tagColumn, DEFAULT_SETTINGS.tagColumn, isNumber)),
    scheme: pick(r.scheme, DEFAULT_SETTINGS.scheme, (v) => ['auto', 'IOB1', 'IOB2', 'IOBES', 'BILOU'].includes(v as string)),
    maxFileSizeMB: pick(r.maxFileSizeMB, DEFAULT_SETTINGS.maxFileSizeMB, (v) => isNumber(v) && (v as number) > 0),
    maxDiagnostics: pick(r.maxDiagnostics, DEFAULT_SETTINGS.maxDiagnostics, (v) => isNumber(v) && (v as number) > 0),
    severity,
  };
}
