/** The `bioner.*` settings, declared once: the server's settings type, defaults and validation derive from this table, and so does package.json's configuration (`npm run manifest`). */
import { DEFAULT_SEVERITY, DIAGNOSTICS, SEVERITY_NAMES } from './diagnostics';

/** What the manifest and the validation need to know of one setting; keys of the table leave out `bioner.`. */
interface Declaration<T> {
  default: T;
  description: string;
  /** VS Code's scope; omitted: window. `application`: user settings only, never a workspace's. */
  scope?: 'machine-overridable' | 'application';
  /** Names a program or file the extension runs or loads: not taken from an untrusted workspace. */
  restricted?: true;
  /** Read by the client only: not part of `BionerSettings`. */
  clientOnly?: true;
}

export type SettingDeclaration =
  | (Declaration<string> & { type: 'string'; enum?: readonly string[] })
  | (Declaration<number> & { type: 'integer' | 'number'; minimum?: number; exclusiveMinimum?: number; maximum?: number })
  | (Declaration<boolean> & { type: 'boolean' })
  | (Declaration<readonly string[]> & { type: 'array' })
  /** One value out of `enum` per property, each property with its own description. */
  | (Declaration<Readonly<Record<string, string>>> & { type: 'object'; properties: Readonly<Record<string, { description: string }>>; enum: readonly string[] });

/** "a, b or c": allowed values in prose (descriptions, CLI messages). */
export function oneOf(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** Languages whose documents get model predictions unless `bioner.proseLanguages` says otherwise. */
export const DEFAULT_PROSE_LANGUAGES = ['plaintext', 'markdown'];

/**
 * Entity types shown in prose unless `bioner.entityTypes` says otherwise: the clinical and biomedical ones of the
 * default model. Left out: Species (LINNAEUS's guidelines tag "patient" and "woman"), Anatomy (AnatEM's tag
 * cancers as pathological formations, and "breast cancer" as Anatomy then won over BC5CDR's Disease), and
 * JNLPBA's protein, DNA and RNA, which cover BC2GM's GENE under another guideline.
 */
export const DEFAULT_ENTITY_TYPES = ['Chemical', 'Disease', 'GENE', 'cell_type', 'cell_line'];

export const SETTINGS = {
  tagColumn: { type: 'integer', default: -1, description: 'Column that holds the BIO tag: -1 is the last column, 0 the first.' },
  scheme: {
    type: 'string',
    enum: ['auto', 'IOB1', 'IOB2', 'IOBES', 'BILOU'],
    default: 'auto',
    description: 'Tagging scheme of BIO files; auto detects it per file.',
  },
  maxFileSizeMB: {
    type: 'number',
    default: 20,
    exclusiveMinimum: 0,
    description: 'Files larger than this (in MB) get only a notice; check them with the `bioner check` CLI, which streams.',
  },
  maxDiagnostics: { type: 'integer', default: 1000, minimum: 1, description: 'Most diagnostics published for one file.' },
  severity: {
    type: 'object',
    properties: DIAGNOSTICS,
    enum: SEVERITY_NAMES,
    default: DEFAULT_SEVERITY,
    description: `Severity of each diagnostic code (${oneOf(SEVERITY_NAMES)}).`,
  },
  'trace.server': {
    type: 'string',
    enum: ['off', 'messages', 'verbose'],
    default: 'off',
    description: 'Traces the communication between VS Code and the BioNER language server.',
    clientOnly: true,
  },
  modelPath: {
    type: 'string',
    default: '',
    scope: 'machine-overridable',
    restricted: true,
    description: 'Model folder (config.json, tokenizer.json, onnx/model.onnx). Empty: the bundled default model.',
  },
  device: {
    type: 'string',
    enum: ['auto', 'cpu', 'cuda', 'webgpu'],
    default: 'auto',
    description:
      'Where the model runs. auto uses CUDA when an NVIDIA GPU is present, else the CPU; a device that fails falls back to the CPU and the status bar says why.',
  },
  // Two one-thread sessions: the LSTMs of the default model run step by step, so a second session doubles
  // throughput on two cores where a second thread inside one session adds nothing (bench, 27 Nov 2026).
  workers: {
    type: 'integer',
    default: 2,
    minimum: 1,
    maximum: 16,
    description: 'Inference sessions of the model, each in its own worker thread, running batches in parallel (each holds a copy of the model).',
  },
  threads: { type: 'integer', default: 1, minimum: 1, maximum: 64, description: 'CPU threads inside each inference session.' },
  // Off by default although the default model's int8 graph is faster for the same F1 (8 Dec 2026): its activations
  // are quantized with each batch's range, so a sentence's labels would depend on the sentences batched with it.
  useQuantized: {
    type: 'boolean',
    default: false,
    description:
      'Use onnx/model_quantized.onnx (int8) when the model folder has one: faster, but a sentence\'s labels and confidences can then depend a little on the sentences run in the same batch.',
  },
  // Where the token ids of open documents go: only the user decides (application scope: a workspace's value is
  // ignored, trusted or not), so opening a repository never sends clinical text anywhere.
  'inference.endpoint': {
    type: 'string',
    default: '',
    scope: 'application',
    restricted: true,
    description:
      "An Open Inference Protocol (KServe v2) server that runs the model's graph: Triton, KServe, MLServer… e.g. http://gpu-server:8000 (REST) or http://gpu-server:8001 with bioner.inference.protocol grpc. The token ids of open documents are sent there; tokenization, decoding and everything else stay here. Empty: the model runs on this machine. User settings only. When the server does not answer, the local model takes over and the status bar says so. An Authorization header comes from BioNER: Set Inference Server Token….",
  },
  'inference.protocol': {
    type: 'string',
    enum: ['rest', 'grpc'],
    default: 'rest',
    description: 'How bioner.inference.endpoint is spoken to: REST (binary tensors, JSON when the server refuses them) or gRPC.',
  },
  'inference.modelName': {
    type: 'string',
    default: '',
    description: "The served model's name at bioner.inference.endpoint. Empty: the model folder's serving name, as bioner export-serving names it.",
  },
  'inference.concurrency': { type: 'integer', default: 4, minimum: 1, maximum: 64, description: 'Requests to bioner.inference.endpoint in flight at once.' },
  lowConfidenceThreshold: {
    type: 'number',
    default: 0.6,
    minimum: 0,
    maximum: 1,
    description: 'Predicted entities under this confidence get the lowConfidence modifier.',
  },
  disagreementThreshold: {
    type: 'number',
    default: 0.9,
    minimum: 0,
    maximum: 1,
    description: 'In BIO files, the model must be at least this confident to report a model-disagreement with the gold tags.',
  },
  // The client reads it once and passes it in the initialization options: it decides which documents are synchronised.
  proseLanguages: {
    type: 'array',
    default: DEFAULT_PROSE_LANGUAGES,
    description: 'Languages whose documents get entity predictions (reload the window after a change).',
    clientOnly: true,
  },
  entityTypes: {
    type: 'array',
    default: DEFAULT_ENTITY_TYPES,
    description:
      'Entity types highlighted in plain text and Markdown, by the model\'s type names; ["*"] shows every type the model predicts. BIO files are compared on the types they annotate.',
  },
  abbreviations: {
    type: 'boolean',
    default: true,
    description:
      'Give every occurrence of an abbreviation defined in the document ("acute renal failure (ARF)") the entity type of its long form, and the long form that of its short form.',
  },
  bioPredictions: {
    type: 'string',
    enum: ['off', 'disagreements', 'all'],
    default: 'disagreements',
    description: "Show the model's tag beside the gold tag in BIO files (inlay hints): nowhere, where they differ, or everywhere.",
  },
  'corpus.enabled': {
    type: 'boolean',
    default: true,
    description: 'Index the BIO files of the workspace (in a worker thread) and check each file against the rest of its corpus.',
  },
  'corpus.scope': {
    type: 'string',
    enum: ['folder', 'workspace', 'file'],
    default: 'folder',
    description:
      'Which files form one corpus and are compared with each other: the files of one folder (e.g. train/dev/test), every file of a workspace folder, or each file alone.',
  },
  'corpus.minCount': {
    type: 'integer',
    default: 3,
    minimum: 1,
    description: 'Consistency checks: fewest annotations of the majority reading of a surface form before its other occurrences are flagged.',
  },
  'corpus.minRatio': {
    type: 'number',
    default: 0.75,
    exclusiveMinimum: 0.5,
    maximum: 1,
    description: 'Consistency checks: least share of the majority reading among the occurrences of a surface form it is compared with.',
  },
  pythonPath: {
    type: 'string',
    default: '',
    scope: 'machine-overridable',
    restricted: true,
    description:
      'Python interpreter for fine-tuning (needs torch, onnx, onnxruntime, tokenizers; transformers and peft for Hugging Face checkpoints). Empty: /usr/bin/python3 on Linux, else python3.',
    clientOnly: true,
  },
  'training.maxMinutes': {
    type: 'number',
    default: 30,
    minimum: 0.1,
    description: 'Time budget of a fine-tuning run; the best model so far is exported when it runs out.',
    clientOnly: true,
  },
  'training.extraArgs': {
    type: 'array',
    default: [],
    restricted: true,
    description: 'Further arguments for the trainer (python -m training.train --help), e.g. ["--preset", "small"].',
    clientOnly: true,
  },
} as const satisfies Record<string, SettingDeclaration>;

type Settings = typeof SETTINGS;

/** The value a declaration allows. */
type ValueOf<D> = D extends { type: 'object'; properties: infer P; enum: readonly (infer V)[] }
  ? Record<keyof P, V>
  : D extends { enum: readonly (infer V)[] }
    ? V
    : D extends { type: 'string' }
      ? string
      : D extends { type: 'integer' | 'number' }
        ? number
        : D extends { type: 'boolean' }
          ? boolean
          : D extends { type: 'array' }
            ? string[]
            : never;

type ServerKey = { [K in keyof Settings]: Settings[K] extends { clientOnly: true } ? never : K }[keyof Settings];

/** The settings the server reads. */
export type BionerSettings = { [K in ServerKey]: ValueOf<Settings[K]> };

export type SchemeSetting = BionerSettings['scheme'];
export type DeviceSetting = BionerSettings['device'];
export type BioPredictionsSetting = BionerSettings['bioPredictions'];

const SERVER_KEYS = (Object.keys(SETTINGS) as (keyof Settings)[]).filter((key): key is ServerKey => !('clientOnly' in SETTINGS[key]));

/** Fills what a client left out (or sent with the wrong type or out of range) with defaults; integers are truncated. */
export function resolveSettings(raw: { readonly [K in ServerKey]?: unknown } | undefined | null): BionerSettings {
  const given: Partial<Record<ServerKey, unknown>> = raw ?? {};
  return Object.fromEntries(SERVER_KEYS.map((key) => [key, resolve(SETTINGS[key], given[key] ?? nested(given, key))])) as BionerSettings;
}

export const DEFAULT_SETTINGS: BionerSettings = resolveSettings(undefined);

/** VS Code sends `corpus.scope` as `{ corpus: { scope } }`. */
function nested(given: Record<string, unknown>, key: string): unknown {
  let value: unknown = given;
  for (const part of key.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

function resolve(declaration: SettingDeclaration, value: unknown): unknown {
  switch (declaration.type) {
    case 'array':
      return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : declaration.default;
    case 'object': {
      // Each property on its own: one wrong severity keeps the others.
      const given = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(declaration.properties).map((key) => [key, declaration.enum.includes(given[key] as string) ? given[key] : declaration.default[key]]),
      );
    }
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !inRange(declaration, value)) return declaration.default;
      return declaration.type === 'integer' ? Math.trunc(value) : value;
    case 'string':
      return typeof value === 'string' && (!declaration.enum || declaration.enum.includes(value)) ? value : declaration.default;
    case 'boolean':
      return typeof value === 'boolean' ? value : declaration.default;
  }
}

function inRange(declaration: { minimum?: number; exclusiveMinimum?: number; maximum?: number }, value: number): boolean {
  const { minimum = -Infinity, exclusiveMinimum = -Infinity, maximum = Infinity } = declaration;
  return Number.isFinite(value) && value >= minimum && value > exclusiveMinimum && value <= maximum;
}
