/** Conversions from the core's spans to LSP ranges. */
import type { Range } from 'vscode-languageserver';
import type { Span } from '../core/checks/finding';

export function spanToRange(span: Span): Range {
  return { start: { line: span.line, character: span.start }, end: { line: span.line, character: span.end } };
}
