/** Custom LSP messages and shared identifiers, declared once for the client and the server. */
import { NotificationType, RequestType0 } from 'vscode-languageserver-protocol';

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
}
/** Server → client notification: the model's state, for the status bar. */
export const MODEL_STATUS_NOTIFICATION = new NotificationType<ModelStatus>('bioner/modelStatus');

/** Client → server request: reload the model (after fine-tuning or when the folder changed on disk). */
export const RELOAD_MODEL_REQUEST = new RequestType0<void, void>('bioner/reloadModel');
