/** Records how each version of an open document changed, so that an analysis can start from an older version's. */
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { composeChanges, type TextChange } from '../core/text/textChange';

interface Log {
  /** The oldest version the steps start from. */
  base: number;
  /** Each later version and the change that made it; 'whole' where the whole text was replaced. */
  steps: { version: number; change: TextChange | 'whole' }[];
}

/** Steps kept per document at most (one that nobody analyses incrementally, prose, would otherwise grow forever). */
const MAX_STEPS = 1000;

/** `create` and `update` are the hooks `TextDocuments` takes. */
export class EditLog {
  private readonly logs = new Map<string, Log>();

  readonly create = (uri: string, languageId: string, version: number, content: string): TextDocument => {
    this.logs.set(uri, { base: version, steps: [] });
    const document = TextDocument.create(uri, languageId, version, content);
    // Its line offsets are computed on first use: now, rather than in the first edit (a quarter second at 20 MB).
    void document.lineCount;
    return document;
  };

  /** Applies the changes one by one, as TextDocument.update does, and records the span they touched. */
  readonly update = (document: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument => {
    let change: TextChange | 'whole' | undefined;
    for (const event of changes) {
      if (change !== 'whole' && 'range' in event) {
        const [start, end] = [document.offsetAt(event.range.start), document.offsetAt(event.range.end)].sort((a, b) => a - b);
        const next = { start, end, length: event.text.length };
        change = change ? composeChanges(change, next) : next;
      } else change = 'whole';
      document = TextDocument.update(document, [event], version);
    }
    if (!change) return document;
    const log = this.logs.get(document.uri);
    if (log) {
      log.steps.push({ version, change });
      if (log.steps.length > MAX_STEPS) log.base = log.steps.shift()!.version;
    }
    return document;
  };

  /** The change from version `from` to version `to` as one span; undefined when not known as one. */
  between(uri: string, from: number, to: number): TextChange | undefined {
    const log = this.logs.get(uri);
    if (!log || from < log.base) return undefined;
    let change: TextChange | undefined;
    let reached = from;
    for (const step of log.steps) {
      if (step.version <= from || step.version > to) continue;
      if (step.change === 'whole') return undefined;
      change = change ? composeChanges(change, step.change) : step.change;
      reached = step.version;
    }
    return reached === to ? change : undefined;
  }

  /** No analysis will start from a version before `version` again. */
  forget(uri: string, version: number): void {
    const log = this.logs.get(uri);
    if (!log || version < log.base) return;
    log.base = version;
    log.steps = log.steps.filter((step) => step.version > version);
  }

  closed(uri: string): void {
    this.logs.delete(uri);
  }
}
