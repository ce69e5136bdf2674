/** A checked CoNLL document kept in memory for the editor: findings plus random access to its sentences. */
import { checkLines, type CheckResult, type CheckSettings, type PassControl } from '../checks/checker';
import { LineIndex } from '../text/lines';
import { lineKind } from './columns';
import type { Layout } from './layout';
import { tagOf, tokenLine, type TokenLine } from './reader';
import { chunkEntities, mapToScheme, type Chunk } from './sequence';

/**
 * What changed against the previous analysis of the same document, in sentence indices: old sentences
 * [from, from + deleted) were replaced by new sentences [from, from + inserted); those before are the same sentences
 * on the same lines, those after are the same sentences with their lines moved by lineShift. Findings of sentences
 * outside it may still change (a label typo's counts are file-wide); their tokens do not.
 */
export interface SentenceDelta {
  from: number;
  deleted: number;
  inserted: number;
  lineShift: number;
}

export interface ConllAnalysis extends CheckResult {
  index: LineIndex;
  settings: CheckSettings;
  /** Undefined: everything may have changed (a first analysis, a full re-check, other settings). */
  delta?: SentenceDelta;
}

export async function analyzeConll(text: string, settings: CheckSettings, control?: PassControl): Promise<ConllAnalysis> {
  const index = new LineIndex(text);
  const result = await checkLines(() => index.lines(), settings, control);
  return { index, settings: { tagColumn: settings.tagColumn, scheme: settings.scheme }, ...result };
}

/** The sentence containing `line`, or -1 when the line is between sentences. */
export function sentenceAt(analysis: ConllAnalysis, line: number): number {
  const { sentenceStarts, sentenceEnds } = analysis.structure;
  let lo = 0;
  let hi = sentenceStarts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sentenceStarts[mid] > line) hi = mid - 1;
    else if (sentenceEnds[mid] < line) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The first sentence that ends on or after `line`. */
export function firstSentenceFrom(analysis: ConllAnalysis, line: number): number {
  const ends = analysis.structure.sentenceEnds;
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The token on `line` with its sentence, or undefined when the line holds no token. */
export function tokenAt(analysis: ConllAnalysis, line: number): { sentence: number; tokens: TokenLine[]; index: number } | undefined {
  const sentence = sentenceAt(analysis, line);
  if (sentence < 0) return undefined;
  const tokens = sentenceTokens(analysis, sentence);
  const index = tokens.findIndex((t) => t.line.number === line);
  return index < 0 ? undefined : { sentence, tokens, index };
}

export function sentenceTokens(analysis: ConllAnalysis, sentence: number): TokenLine[] {
  const { layout, index, structure } = analysis;
  return tokensBetween(index, layout, structure.sentenceStarts[sentence], structure.sentenceEnds[sentence]);
}

/** The token lines among lines [first, last]. */
export function tokensBetween(index: LineIndex, layout: Pick<Layout, 'separator' | 'tagSetting'>, first: number, last: number): TokenLine[] {
  const tokens: TokenLine[] = [];
  for (const line of index.lines(first, last + 1)) {
    if (lineKind(line.text, layout.separator) === 'token') tokens.push(tokenLine(line, layout.separator, layout.tagSetting));
  }
  return tokens;
}

/** Gold entities of a sentence, chunked as conlleval does, with other schemes' tags read in the file's scheme. */
export function sentenceEntities(analysis: ConllAnalysis, tokens: TokenLine[]): Chunk[] {
  return chunkEntities(mapToScheme(tokens.map(tagOf), analysis.layout.scheme));
}
