/** A problem found in a document, independent of LSP: the CLI, SARIF and the server all render it. */
import type { DiagnosticCode } from '@common/diagnostics';

export interface Span {
  line: number;
  /** UTF-16 columns, end exclusive. */
  start: number;
  end: number;
}

/** A replacement that fixes a finding. */
export interface Fix {
  title: string;
  edit: Span & { newText: string };
  /** The fix an editor applies with "auto fix". */
  preferred?: boolean;
}

export interface Finding extends Span {
  code: DiagnosticCode;
  message: string;
  fixes: Fix[];
  /** Other places that explain this finding (e.g. the common label a typo resembles). */
  related?: (Span & { message: string })[];
}
