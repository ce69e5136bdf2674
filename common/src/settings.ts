import { DEFAULT_SEVERITY, type DiagnosticCode, type SeverityName } from './diagnostics';

export type SchemeSetting = 'auto' | 'IOB1' | 'IOB2' | 'IOBES' | 'BILOU';
export type DeviceSetting = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export type BioPredictionsSetting = 'off' | 'disagreements' | 'all';

/** The `bioner.*` settings the server reads; defaults mirror package.json. */
export interface BionerSettings {
  tagColumn: number;
  scheme: SchemeSetting;
  maxFileSizeMB: number;
  maxDiagnostics: number;
  severity: Record<DiagnosticCode, SeverityName>;
  /** Model folder; '' is the bundled default model. */
  modelPath: string;
  device: DeviceSetting;
  /** Inference sessions, each in its own worker thread, running batches in parallel. */
  workers: number;
  /** CPU threads inside each session. */
  threads: number;
  useQuantized: boolean;
  /** Predicted entities under this confidence carry the lowConfidence modifier. */
  lowConfidenceThreshold: number;
  /** The model must be at least this confident to contradict gold tags (model-disagreement). */
  disagreementThreshold: number;
  /** Predicted tags beside the gold ones in BIO files, as inlay hints. */
  bioPredictions: BioPredictionsSetting;
}

export const DEFAULT_SETTINGS: BionerSettings = {
  tagColumn: -1,
  scheme: 'auto',
  maxFileSizeMB: 20,
  maxDiagnostics: 1000,
  severity: { ...DEFAULT_SEVERITY },
  modelPath: '',
  device: 'auto',
  // Two one-thread sessions: the LSTMs of the default model run step by step, so a second session doubles
  // throughput on two cores where a second thread inside one session adds nothing (bench, 27 Nov 2026).
  workers: 2,
  threads: 1,
  useQuantized: false,
  lowConfidenceThreshold: 0.6,
  disagreementThreshold: 0.9,
  bioPredictions: 'disagreements',
};

/** Fills what a client left out (or sent with the wrong type) with defaults. */
export function resolveSettings(raw: Partial<BionerSettings> | undefined | null): BionerSettings {
  const r = raw ?? {};
  const pick = <T>(value: unknown, fallback: T, ok: (v: unknown) => boolean): T => (ok(value) ? (value as T) : fallback);
  const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const count = (value: unknown, fallback: number, max: number) =>
    Math.trunc(pick(value, fallback, (v) => isNumber(v) && (v as number) >= 1 && (v as number) <= max));
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
    modelPath: pick(r.modelPath, DEFAULT_SETTINGS.modelPath, (v) => typeof v === 'string'),
    device: pick(r.device, DEFAULT_SETTINGS.device, (v) => ['auto', 'cpu', 'cuda', 'webgpu'].includes(v as string)),
    workers: count(r.workers, DEFAULT_SETTINGS.workers, 16),
    threads: count(r.threads, DEFAULT_SETTINGS.threads, 64),
    useQuantized: pick(r.useQuantized, DEFAULT_SETTINGS.useQuantized, (v) => typeof v === 'boolean'),
    lowConfidenceThreshold: pick(r.lowConfidenceThreshold, DEFAULT_SETTINGS.lowConfidenceThreshold, isProbability),
    disagreementThreshold: pick(r.disagreementThreshold, DEFAULT_SETTINGS.disagreementThreshold, isProbability),
    bioPredictions: pick(r.bioPredictions, DEFAULT_SETTINGS.bioPredictions, (v) => ['off', 'disagreements', 'all'].includes(v as string)),
  };
}

const isProbability = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
