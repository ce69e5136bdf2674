/** LSP requests the corpus index answers: corpus-wide fixes, references of a surface form, renaming a type, workspace symbols. */
import { ResponseError, SymbolKind, type CodeAction, type Location, type Range, type SymbolInformation, type WorkspaceEdit } from 'vscode-languageserver';
import type { CorpusLocation } from '../core/corpus/workspace';
import type { CorpusWideAction } from './codeActions';
import type { CorpusService } from './corpus';
import { spanToRange } from './ranges';
import { workspaceEdit } from './workspaceEdits';

/** Most workspace symbols returned for one query. */
const MAX_SYMBOLS = 500;
const TYPE_NAME = /^[^\s]+$/;

const toLocation = (place: CorpusLocation): Location => ({ uri: place.uri, range: spanToRange(place) });

/** Fills in the edit of a corpus-wide fix, for review: every occurrence alike, in every file of the corpus. */
export async function resolveCorpusWideFix(corpus: CorpusService, action: CodeAction, annotations: boolean): Promise<CodeAction> {
  const data = action.data as CorpusWideAction | undefined;
  if (!data?.corpusWide || action.edit) return action;
  const edits = (await corpus.ask({ kind: 'corpusWideEdits', uri: data.uri, fix: data.corpusWide })) ?? [];
  return { ...action, edit: workspaceEdit(data.uri, edits, { label: action.title, annotations }) };
}

export async function references(corpus: CorpusService, uri: string, line: number): Promise<Location[]> {
  return ((await corpus.ask({ kind: 'references', uri, line })) ?? []).map(toLocation);
}

export async function prepareRename(corpus: CorpusService, uri: string, line: number, character: number): Promise<{ range: Range; placeholder: string } | null> {
  const at = await corpus.ask({ kind: 'typeAt', uri, line, character });
  return at ? { range: spanToRange(at), placeholder: at.type } : null;
}

/** Renames the entity type under the cursor in every tag of the corpus; a rename across files asks for review. */
export async function renameType(corpus: CorpusService, uri: string, line: number, character: number, newName: string, annotations: boolean): Promise<WorkspaceEdit | null> {
  if (!TYPE_NAME.test(newName)) throw new ResponseError(-32602, `'${newName}' cannot be an entity type: a type has no whitespace`);
  const at = await corpus.ask({ kind: 'typeAt', uri, line, character });
  if (!at) return null;
  const byFile = (await corpus.ask({ kind: 'renameType', uri, from: at.type, to: newName })) ?? [];
  const edits = byFile.flatMap(([file, list]) => list.map((edit) => ({ ...edit, file })));
  const files = byFile.length;
  return workspaceEdit(uri, edits, files > 1 ? { label: `Rename type ${at.type} to ${newName} in ${files} files`, annotations } : undefined);
}

export async function workspaceSymbols(corpus: CorpusService, query: string): Promise<SymbolInformation[]> {
  const symbols = (await corpus.ask({ kind: 'symbols', query, limit: MAX_SYMBOLS })) ?? [];
  return symbols.map((symbol) => ({
    name: symbol.text,
    kind: SymbolKind.Constant,
    containerName: `${symbol.type} · ${decodeURIComponent(symbol.uri.slice(symbol.uri.lastIndexOf('/') + 1))}`,
    location: toLocation(symbol),
  }));
}
