/**
 * The model beside the gold annotation in BIO files: predictions per sentence, inlay hints where they differ,
 * model-disagreement diagnostics with a fix that applies the model's tags, and the model's view in hovers.
 */
import { InlayHintKind, MarkupKind, type InlayHint, type Range } from 'vscode-languageserver';
import type { BionerSettings } from '@common/settings';
import { sentenceEntities, sentenceTokens, tokenAt, type ConllAnalysis } from '../core/conll/analysis';
import { tagsForChunks } from '../core/conll/convert';
import { wordOf, wordsOf } from '../core/conll/corpus';
import type { TokenLine } from '../core/conll/reader';
import type { Chunk } from '../core/conll/sequence';
import type { Finding, Fix } from '../core/checks/finding';
import { clip } from '../core/text/clip';
import { bioScope } from '../core/ner/abbreviationTypes';
import { predictWithAbbreviations } from '../core/ner/predictDocument';
import { comparedTypes } from '../core/ner/entityTypes';
import type { NerEngine, PredictedSpan, PredictOptions, SentencePrediction } from '../core/ner/engine';
import { describeAbbreviation, describeRanked, formatPercent } from './predictionText';

export interface BioPredictions {
  analysis: ConllAnalysis;
  /** One per sentence of the analysis, in order. */
  predictions: readonly SentencePrediction[];
}

/** With `abbreviations`, those the file defines apply within its -DOCSTART- sections, or to neighbouring sentences. */
export async function predictBio(analysis: ConllAnalysis, engine: NerEngine, options: PredictOptions, abbreviations: boolean): Promise<BioPredictions> {
  const sentences = analysis.structure.sentenceStarts.map((_, s) => wordsOf(sentenceTokens(analysis, s)));
  const types = comparedTypes(analysis.layout.typeCounts.keys(), engine.entityTypes);
  const scope = abbreviations ? bioScope(analysis.structure.sentenceStarts, analysis.structure.docstarts) : undefined;
  return { analysis, predictions: await predictWithAbbreviations(engine, sentences, { ...options, types }, scope) };
}

/** The model's tags for a sentence, spelled in the file's scheme. */
function predictedTags(bio: BioPredictions, sentence: number, length: number): string[] {
  return tagsForChunks(bio.predictions[sentence].spans, length, bio.analysis.layout.scheme);
}

const sameChunk = (a: Chunk, b: Chunk) => a.start === b.start && a.end === b.end && a.type === b.type;

/** The probability of the label the model chose for a word (undefined when it is not among the ranked ones). */
function chosenProbability(prediction: SentencePrediction, word: number): number | undefined {
  return prediction.ranked[word].find((r) => r.label === prediction.labels[word])?.probability;
}

/** The lowest probability the model gives its own labels over a run of words. */
function modelConfidence(prediction: SentencePrediction, start: number, end: number): number {
  let confidence = 1;
  for (let i = start; i < end; i++) confidence = Math.min(confidence, chosenProbability(prediction, i) ?? 0);
  return confidence;
}

export function disagreementFindings(bio: BioPredictions, settings: BionerSettings): Finding[] {
  const findings: Finding[] = [];
  bio.predictions.forEach((prediction, s) => {
    const tokens = sentenceTokens(bio.analysis, s);
    if (tokens.some((t) => !t.tagColumn)) return;
    const gold = sentenceEntities(bio.analysis, tokens);
    const model = predictedTags(bio, s, tokens.length);
    let sentenceFix = applyModelFix(tokens, model, { start: 0, end: tokens.length }, "Apply the model's tags to this sentence");
    if (!sentenceFix) return;
    const report = (chunk: Chunk, message: string) => {
      // Each finding fixes its own entity; the sentence-wide fix goes on the sentence's first finding only, so that
      // a long sentence's publication grows with its length, not with its length squared.
      const region = regionAround(chunk, gold, prediction.spans);
      const own = applyModelFix(tokens, model, region, `Apply the model's tags to ${quote(tokens, region)}`);
      const fixes = own ? [own] : [];
      if (sentenceFix && sentenceFix.edits.length > fixes.length && sentenceFix.edits.length > (own?.edits.length ?? 0)) fixes.push(sentenceFix);
      sentenceFix = undefined;
      findings.push({ code: 'model-disagreement', ...firstLineOf(tokens, chunk.start), message, fixes });
    };
    for (const span of prediction.spans) {
      if (span.confidence < settings.disagreementThreshold || gold.some((g) => sameChunk(g, span))) continue;
      report(span, `The model tags ${quote(tokens, span)} as ${span.type} (${formatPercent(span.confidence)}); the gold tags are ${tagList(tokens, span)}`);
    }
    for (const chunk of gold) {
      if (prediction.spans.some((p) => sameChunk(p, chunk))) continue;
      const confidence = modelConfidence(prediction, chunk.start, chunk.end);
      if (confidence < settings.disagreementThreshold || prediction.spans.some((p) => p.start < chunk.end && chunk.start < p.end)) continue;
      report(chunk, `The model sees no entity in ${quote(tokens, chunk)} (${formatPercent(confidence)}), tagged ${chunk.type || 'untyped'} in gold`);
    }
  });
  return findings;
}

/**
 * The words of `chunk` widened over every gold or predicted entity that overlaps it, again and again: replacing
 * the tags there by the model's cuts no entity in two, so the result stays a valid sequence.
 */
function regionAround(chunk: { start: number; end: number }, gold: readonly Chunk[], predicted: readonly PredictedSpan[]): { start: number; end: number } {
  let { start, end } = chunk;
  for (let grown = true; grown; ) {
    grown = false;
    for (const other of [...gold, ...predicted]) {
      if (other.start < end && start < other.end && (other.start < start || other.end > end)) {
        start = Math.min(start, other.start);
        end = Math.max(end, other.end);
        grown = true;
      }
    }
  }
  return { start, end };
}

/** Replaces the tags of words [start, end) that differ from the model's; undefined when none does. */
function applyModelFix(tokens: TokenLine[], model: string[], { start, end }: { start: number; end: number }, title: string): Fix | undefined {
  const edits = tokens.slice(start, end).flatMap((token, k) => {
    const { line, tagColumn } = token;
    const tag = model[start + k];
    return tagColumn!.text === tag ? [] : [{ line: line.number, start: line.offset + tagColumn!.start, end: line.offset + tagColumn!.end, newText: tag }];
  });
  return edits.length ? { title, edits, preferred: false } : undefined;
}

/** Findings are single-line spans: the entity's first token line, token to tag. */
function firstLineOf(tokens: TokenLine[], start: number): { line: number; start: number; end: number } {
  const first = tokens[start];
  return { line: first.line.number, start: first.line.offset, end: first.line.offset + first.line.text.length };
}

const quote = (tokens: TokenLine[], chunk: { start: number; end: number }) => `'${clip(wordsOf(tokens.slice(chunk.start, chunk.end)).join(' '))}'`;
const tagList = (tokens: TokenLine[], chunk: { start: number; end: number }) => tokens.slice(chunk.start, chunk.end).map((t) => t.tagColumn!.text).join(' ');

/** Inlay hints after the tag column: the model's tag where it differs from gold (or everywhere). */
/**
 * The model's view of a corpus finding's tokens: for an unannotated occurrence, whether the model sees an entity
 * there, as evidence for the reader. It never hides the finding: a model can be sure and wrong on exactly the
 * occurrences the corpus shows to be misses (the default model gives a planted "aspirin" left O 99.9% O).
 */
export function withModelView(bio: BioPredictions, findings: readonly Finding[]): Finding[] {
  return findings.map((finding) => {
    if (finding.code !== 'unannotated-occurrence') return finding;
    const at = tokenAt(bio.analysis, finding.line);
    const prediction = at && bio.predictions[at.sentence];
    if (!at || !prediction) return finding;
    const span = prediction.spans.find((s) => s.start <= at.index && at.index < s.end);
    if (span) return { ...finding, message: `${finding.message}; the model sees ${span.type} here (${formatPercent(span.confidence)})` };
    const outside = prediction.ranked[at.index].find((r) => r.label === 'O')?.probability ?? 0;
    return { ...finding, message: `${finding.message}; the model sees no entity here (O ${formatPercent(outside)})` };
  });
}

export function bioInlayHints(bio: BioPredictions, range: Range, settings: BionerSettings): InlayHint[] {
  if (settings.bioPredictions === 'off') return [];
  const hints: InlayHint[] = [];
  const { sentenceStarts } = bio.analysis.structure;
  for (let s = 0; s < sentenceStarts.length; s++) {
    if (bio.analysis.structure.sentenceEnds[s] < range.start.line || sentenceStarts[s] > range.end.line) continue;
    const tokens = sentenceTokens(bio.analysis, s);
    const model = predictedTags(bio, s, tokens.length);
    tokens.forEach((token, i) => {
      const differs = token.tagColumn?.text !== model[i];
      if (!differs && settings.bioPredictions !== 'all') return;
      // The probability of the label shown (the decoded one), not of the word's most probable label.
      const probability = chosenProbability(bio.predictions[s], i);
      hints.push({
        position: { line: token.line.number, character: token.line.offset + token.line.text.length },
        label: `${differs ? '≠' : '='} model ${model[i]}${probability === undefined ? '' : ` ${formatPercent(probability)}`}`,
        kind: InlayHintKind.Type,
        paddingLeft: true,
        tooltip: { kind: MarkupKind.Markdown, value: describeRanked([wordOf(token)], [bio.predictions[s].ranked[i]]) },
      });
    });
  }
  return hints;
}

/** The model's view of the token under the cursor, appended to the gold hover. */
export function bioPredictionHover(bio: BioPredictions, line: number): string | undefined {
  const at = tokenAt(bio.analysis, line);
  if (!at) return undefined;
  const { sentence: s, tokens, index } = at;
  const prediction = bio.predictions[s];
  const span: PredictedSpan | undefined = prediction.spans.find((p) => p.start <= index && index < p.end);
  const model = predictedTags(bio, s, tokens.length)[index];
  const source = span?.abbreviation;
  const confidence = span && `confidence ${formatPercent(span.confidence)}${source ? ' (of the long form)' : ''}`;
  const entity = span ? `${span.type} \`${wordsOf(tokens.slice(span.start, span.end)).join(' ')}\`, ${confidence}` : 'outside any entity';
  const abbreviation = source ? [describeAbbreviation(source, bio.analysis.structure.sentenceStarts[source.definedIn]), ''] : [];
  return [`**Model**: \`${model}\` (${entity})`, '', ...abbreviation, describeRanked([wordOf(tokens[index])], [prediction.ranked[index]])].join('\n');
}
