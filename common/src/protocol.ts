/** Custom LSP methods and shared identifiers, declared once for the client and the server. */

export const LANGUAGE_ID = 'bio';

/**
 * Languages whose documents get model predictions unless `bioner.proseLanguages` says otherwise. The client reads
 * that setting once and passes it in the initialization options: it decides which documents are synchronised.
 */
export const DEFAULT_PROSE_LANGUAGES = ['plaintext', 'markdown'];

/** Server → client notification: a file was too large to analyse in the editor. */
export const FILE_TOO_LARGE_NOTIFICATION = 'bioner/fileTooLarge';
export interface FileTooLargeParams {
  uri: string;
  sizeMB: number;
  limitMB: number;
}

/** Code action kinds of the whole-file conversions. */
export const CONVERT_TO_IOB2_KIND = 'source.convert.bioner.iob2';
export const CONVERT_TO_IOBES_KIND = 'source.convert.bioner.iobes';

/** Server → client notification: the model's state, for the status bar. */
export const MODEL_STATUS_NOTIFICATION = 'bioner/modelStatus';
export interface ModelStatus {
  state: 'none' | 'loading' | 'ready' | 'error';
  /** The model folder's name. */
  model?: string;
  device?: string;
  /** Words per second of model time, measured on this machine's documents. */
  tokensPerSecond?: number;
  /** What went wrong, or why the requested device was not used. */
  message?: string;
}

/** Client → server request: reload the model (after fine-tuning or when the folder changed on disk). */
export const RELOAD_MODEL_REQUEST = 'bioner/reloadModel';
