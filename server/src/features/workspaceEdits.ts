/** Edits of one or many files as an LSP WorkspaceEdit; bulk edits carry a change annotation that asks for review. */
import type { AnnotatedTextEdit, TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import type { SpanEdit } from '../core/checks/finding';
import { spanToRange } from './ranges';

const REVIEW_ANNOTATION = 'bioner.review';

export const toTextEdit = (edit: SpanEdit): TextEdit => ({ range: spanToRange(edit), newText: edit.newText });

/**
 * `edits` name their file, or are in `uri`'s. With `review` and a client that supports change annotations, the
 * editor shows every change for confirmation (VS Code's refactor preview) and one undo reverts them; other clients
 * get the plain edit, which they apply as the user's own command.
 */
export function workspaceEdit(uri: string, edits: readonly SpanEdit[], review?: { label: string; annotations: boolean }): WorkspaceEdit {
  const byFile = new Map<string, SpanEdit[]>();
  for (const edit of edits) {
    const file = edit.file ?? uri;
    byFile.get(file)?.push(edit) ?? byFile.set(file, [edit]);
  }
  if (!review?.annotations) return { changes: Object.fromEntries([...byFile].map(([file, list]) => [file, list.map(toTextEdit)])) };
  const documentChanges: TextDocumentEdit[] = [...byFile].map(([file, list]) => ({
    textDocument: { uri: file, version: null },
    edits: list.map((edit): AnnotatedTextEdit => ({ ...toTextEdit(edit), annotationId: REVIEW_ANNOTATION })),
  }));
  return {
    documentChanges,
    changeAnnotations: {
      [REVIEW_ANNOTATION]: { label: review.label, needsConfirmation: true, description: `${edits.length} tag(s) in ${byFile.size} file(s)` },
    },
  };
}
