/** Custom LSP methods and shared identifiers, declared once for the client and the server. */

export const LANGUAGE_ID = 'bio';

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
