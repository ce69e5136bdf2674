/** Applies non-overlapping single-line edits to a document's text. */
import type { LineIndex } from './lines';

export interface LineEdit {
  line: number;
  start: number;
  end: number;
  newText: string;
}

export function applyLineEdits(index: LineIndex, edits: readonly LineEdit[]): string {
  const absolute = edits
    .map((e) => ({ from: index.starts[e.line] + e.start, to: index.starts[e.line] + e.end, text: e.newText }))
    .sort((a, b) => a.from - b.from);
  const parts: string[] = [];
  let at = 0;
  for (const edit of absolute) {
    parts.push(index.text.slice(at, edit.from), edit.text);
    at = edit.to;
  }
  parts.push(index.text.slice(at));
  return parts.join('');
}
