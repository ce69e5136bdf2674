/** A problem found in a document, independent of LSP: the CLI, SARIF and the server all render it. */
import type { DiagnosticCode } from '@common/diagnostics';

export interface Span {
  line: number;
  /** UTF-16 columns, end exclusive. */
  start: number;
  end: number;
}

export interface SpanEdit extends Span {
  newText: string;
  /** Another file of the corpus, as the corpus names it; absent: the finding's own file. */
  file?: string;
}

/** Replacements that fix a finding. */
export interface Fix {
  title: string;
  edits: SpanEdit[];
  /** The fix an editor applies with "auto fix". */
  preferred?: boolean;
  /**
   * A fix of every occurrence of `words` in the corpus read as `from` ('O' or a type), annotated `to`: its edits are
   * too many to carry on each finding, so the corpus index makes them when the fix is chosen, for review.
   */
  corpusWide?: CorpusWideFix;
}

/** The usual fix: one span replaced. */
export function replaceWith(title: string, span: Span, newText: string, preferred = true): Fix {
  return { title, edits: [{ line: span.line, start: span.start, end: span.end, newText }], preferred };
}

export interface Related extends Span {
  message: string;
  /** The other file, as the corpus names it (a path in the CLI, a URI in the server); absent: the same file. */
  file?: string;
}

export interface CorpusWideFix {
  words: string[];
  from: string;
  to: string;
}

export interface Finding extends Span {
  code: DiagnosticCode;
  message: string;
  fixes: Fix[];
  /** Other places that explain this finding (e.g. the common label a typo resembles); `file` when in another file. */
  related?: Related[];
}

/** Line then column order, as findings are listed and published. */
export const byPosition = (a: Span, b: Span): number => a.line - b.line || a.start - b.start;
