/**
 * The review's items for an open BIO file: its likely label errors (core/review), each with its sentence, its key
 * for remembered decisions and the tag edits that apply the model's suggestion in the file's own scheme.
 */
import type { LabelIssueItem } from '@common/protocol';
import type { ConllAnalysis } from '../core/conll/analysis';
import { sentenceEntities, sentenceTokens } from '../core/conll/analysis';
import { convertSentence, tagsForChunks } from '../core/conll/convert';
import { wordsOf } from '../core/conll/corpus';
import type { TokenLine } from '../core/conll/reader';
import type { NerEngine, PredictOptions } from '../core/ner/engine';
import { issueKey } from '../core/review/decisions';
import { entitiesOf, findLabelIssues, type LabelIssue } from '../core/review/labelIssues';
import { reviewedTypes } from '../core/review/tagProbabilities';

export async function labelIssueItems(analysis: ConllAnalysis, engine: NerEngine, options: Pick<PredictOptions, 'isCancelled' | 'onProgress'>): Promise<LabelIssueItem[]> {
  const sentences = analysis.structure.sentenceStarts.map((_, s) => sentenceTokens(analysis, s));
  const gold = sentences.map((tokens) => convertSentence(tokens, analysis.layout, 'IOB2').map((tag) => tag ?? 'O'));
  const { types } = reviewedTypes(analysis.layout.typeCounts.keys(), engine.entityTypes);
  const reviewed = new Set(types);
  const issues = await findLabelIssues(engine, sentences.map(wordsOf), gold, { ...options, types: reviewed });
  // A sentence with a missing or malformed tag has its own diagnostics to fix first: its tags cannot be replaced whole.
  const usable = (tokens: TokenLine[]) => tokens.every((token) => token.tagColumn);
  return issues
    .filter((issue) => usable(sentences[issue.sentence]))
    .map((issue) => item(analysis, sentences[issue.sentence], issue, reviewed))
    .filter((item) => item.edits.length > 0);
}

function item(analysis: ConllAnalysis, tokens: TokenLine[], issue: LabelIssue, reviewed: ReadonlySet<string>): LabelIssueItem {
  const { start, end } = issue;
  const words = wordsOf(tokens);
  const fileTags = tokens.map((token) => token.tagColumn!.text);
  // The suggestion spelled in the file's scheme: the sentence's gold entities with the region's replaced by the model's.
  // Gold entities of types the model does not judge stay, unless a suggested entity takes their words.
  const suggestedEntities = entitiesOf(issue.suggestion).map((e) => ({ ...e, start: e.start + start, end: e.end + start }));
  const kept = sentenceEntities(analysis, tokens).filter(
    (e) => e.end <= start || e.start >= end || (!reviewed.has(e.type) && !suggestedEntities.some((s) => s.start < e.end && e.start < s.end)),
  );
  const suggested = tagsForChunks([...kept, ...suggestedEntities], tokens.length, analysis.layout.scheme);
  const edits = tokens.slice(start, end).flatMap((token, k) => {
    const i = start + k;
    if (suggested[i] === fileTags[i]) return [];
    const { line, tagColumn } = token;
    const range = { start: { line: line.number, character: line.offset + tagColumn!.start }, end: { line: line.number, character: line.offset + tagColumn!.end } };
    return [{ range, oldText: fileTags[i], newText: suggested[i] }];
  });
  const first = tokens[start].line;
  const last = tokens[end - 1].line;
  return {
    key: issueKey(words, fileTags, start, end),
    range: { start: { line: first.number, character: first.offset }, end: { line: last.number, character: last.offset + last.text.length } },
    sentence: words,
    start,
    end,
    gold: fileTags.slice(start, end),
    suggestion: suggested.slice(start, end),
    score: issue.score,
    sentenceScore: issue.sentenceScore,
    edits,
  };
}
