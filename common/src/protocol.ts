/** Custom LSP messages and shared identifiers, declared once for the client and the server. */
import { NotificationType, RequestType, RequestType0, type Range, type WorkDoneProgressParams } from 'vscode-languageserver-protocol';
import type { CorpusStats } from '../../server/src/core/corpus/stats';
import type { EntityError, Evaluation } from '../../server/src/core/eval/score';

export const LANGUAGE_ID = 'bio';

export interface FileTooLargeParams {
  uri: string;
  sizeMB: number;
  limitMB: number;
}
/** Server → client notification: a file was too large to analyse in the editor. */
export const FILE_TOO_LARGE_NOTIFICATION = new NotificationType<FileTooLargeParams>('bioner/fileTooLarge');

/** Code action kinds of the whole-file conversions. */
export const CONVERT_TO_IOB2_KIND = 'source.convert.bioner.iob2';
export const CONVERT_TO_IOBES_KIND = 'source.convert.bioner.iobes';

export interface ModelStatus {
  state: 'none' | 'loading' | 'ready' | 'error';
  /** The model folder's name. */
  model?: string;
  device?: string;
  /** Words per second of model time, measured on this machine's documents. */
  tokensPerSecond?: number;
  /** What went wrong, or why the requested device was not used. */
  message?: string;
  /** The inference server (bioner.inference.endpoint) that the documents' token ids are sent to, while it is used. */
  remote?: string;
}
/** Server → client notification: the model's state, for the status bar. */
export const MODEL_STATUS_NOTIFICATION = new NotificationType<ModelStatus>('bioner/modelStatus');

/**
 * Client → server notification: the Authorization header for bioner.inference.endpoint, from VS Code's secret storage
 * (null: none; the server's BIONER_INFERENCE_AUTH then applies). Never a setting, so never in a file.
 */
export const INFERENCE_AUTHORIZATION_NOTIFICATION = new NotificationType<{ authorization: string | null }>('bioner/inferenceAuthorization');

/** Client → server request: reload the model (after fine-tuning or when the folder changed on disk). */
export const RELOAD_MODEL_REQUEST = new RequestType0<void, void>('bioner/reloadModel');

/** One likely label error of a BIO file, as the review walks through them. */
export interface LabelIssueItem {
  /** Stable across runs for the same sentence words, gold tags and region: a decision is remembered under it. */
  key: string;
  /** From the region's first token line to its last. */
  range: Range;
  /** The sentence's words, and the region's place among them (word indices, end exclusive). */
  sentence: string[];
  start: number;
  end: number;
  /** Tags over the region, in the file's scheme: the gold ones and the model's suggestion. */
  gold: string[];
  suggestion: string[];
  /** Label quality of the region (lower: more likely wrong), and of the sentence's worst token. */
  score: number;
  sentenceScore: number;
  /** Tag replacements that apply the suggestion; `oldText` is checked before applying, so a changed file is noticed. */
  edits: { range: Range; oldText: string; newText: string }[];
}

export interface LabelIssuesResult {
  /** The document version the items were found in. */
  version: number;
  /** The model folder's name. */
  model: string;
  /** Most likely errors first. */
  items: LabelIssueItem[];
}

/** Client → server request: the likely label errors of an open BIO file scored by the editor's model, ranked. */
export const LABEL_ISSUES_REQUEST = new RequestType<ReportParams & WorkDoneProgressParams, LabelIssuesResult, void>('bioner/labelIssues');

export interface ReportParams {
  textDocument: { uri: string };
}

export interface CorpusStatisticsResult {
  /** The corpus of the file's folder, as `bioner stats FOLDER --json` gives it, with open documents' unsaved text. */
  stats: CorpusStats;
  /** Files of the folder that could not be read, and why; the statistics are of the rest. */
  unreadable: { file: string; reason: string }[];
}

/** Client → server request: the statistics of the corpus a BIO file belongs to (its folder's BIO files). */
export const CORPUS_STATISTICS_REQUEST = new RequestType<ReportParams, CorpusStatisticsResult, void>('bioner/corpusStatistics');

/** One error behind the scores, placed in the document. */
export interface EvaluationErrorItem extends Omit<EntityError, 'overlapping'> {
  /** From the entity's first token line to the end of its last. */
  range: Range;
  /** The entity's words, and a few words on either side of it in its sentence. */
  text: string;
  before: string;
  after: string;
  /** The other side's entities over the same words: gold's for a false positive, the model's for a false negative. */
  overlapping: { type: string; text: string }[];
}

export interface EvaluateFileResult {
  /** The document version evaluated. */
  version: number;
  /** The model folder's name. */
  model: string;
  /** The types predicted and scored; absent: every type the model predicts. */
  types?: string[];
  /** Whether abbreviations got their definitions' types (`bioner.abbreviations`). */
  abbreviations: boolean;
  /** The scores, as `bioner eval FILE --model DIR --json` gives them. */
  evaluation: Evaluation;
  /** Every strict error, in document order. */
  errors: EvaluationErrorItem[];
}

/**
 * Client → server request: the model run on an open BIO file and scored against its gold tags. Cancellable; reports
 * progress on `workDoneToken`; fails with a message without a model or for a file over the size limit.
 */
export const EVALUATE_FILE_REQUEST = new RequestType<ReportParams & WorkDoneProgressParams, EvaluateFileResult, void>('bioner/evaluateFile');
