/** The last semantic tokens sent for each document, so that a delta request is answered with the edits since then. */
import type { SemanticTokens, SemanticTokensDelta, SemanticTokensEdit } from 'vscode-languageserver';

export class SemanticTokenResults {
  private readonly sent = new Map<string, { resultId: string; data: readonly number[] }>();
  private count = 0;

  /** The tokens with a new result id, remembered for the next delta request. */
  full(uri: string, tokens: SemanticTokens): SemanticTokens {
    const resultId = String(++this.count);
    this.sent.set(uri, { resultId, data: tokens.data });
    return { resultId, data: tokens.data };
  }

  /** The edits from the tokens sent as `previousResultId` to these; all of them when those are not the last sent. */
  delta(uri: string, previousResultId: string, tokens: SemanticTokens): SemanticTokens | SemanticTokensDelta {
    const previous = this.sent.get(uri);
    const full = this.full(uri, tokens);
    if (previous?.resultId !== previousResultId) return full;
    return { resultId: full.resultId, edits: changedRange(previous.data, tokens.data) };
  }

  closed(uri: string): void {
    this.sent.delete(uri);
  }
}

/** One edit replacing what lies between the common prefix and suffix of the two; none when they are equal. */
export function changedRange(before: readonly number[], after: readonly number[]): SemanticTokensEdit[] {
  const common = Math.min(before.length, after.length);
  let start = 0;
  while (start < common && before[start] === after[start]) start++;
  if (start === before.length && start === after.length) return [];
  let suffix = 0;
  while (suffix < common - start && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  return [{ start, deleteCount: before.length - start - suffix, data: after.slice(start, after.length - suffix) }];
}
