/** Model predictions in plain text and Markdown: analysis, semantic tokens and hovers. */
import { MarkupKind, SemanticTokensBuilder, type Hover, type Position, type SemanticTokens } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BionerSettings } from '@common/settings';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, tokenTypeForEntity } from '@common/semanticTokens';
import { WHOLE_TEXT, type DocumentAbbreviations } from '../core/ner/abbreviationTypes';
import type { NerEngine, PredictedSpan, PredictOptions, SentencePrediction } from '../core/ner/engine';
import type { ProseFormat } from '../core/prose/mask';
import { ProseSegmenter, type ProseSentence, type Segmentation } from '../core/prose/segment';
import { LineIndex } from '../core/text/lines';
import type { TextChange } from '../core/text/textChange';
import { describeAbbreviation, describeRanked, formatPercent } from './predictionText';

export interface ProseAnalysis {
  index: LineIndex;
  sentences: readonly ProseSentence[];
  predictions: readonly SentencePrediction[];
}

/** An analysis with what the next version's starts from. */
export interface ProseVersion extends ProseAnalysis {
  segmentation: Segmentation;
  /** The model's predictions, before abbreviation types. */
  raw: readonly SentencePrediction[];
}

/** What a document keeps between its versions, so that unchanged paragraphs are not segmented or typed again. */
export interface ProseMemory {
  segmenter: ProseSegmenter;
  abbreviations: DocumentAbbreviations;
}

/**
 * With `abbreviations`, the whole document is the scope of the abbreviations it defines. With `edit`, the analysis
 * starts from the previous version's (same engine and types): the line index and the paragraphs around the change are
 * made again, and only the sentences that replaced others go to the engine.
 */
export async function analyzeProse(
  document: TextDocument,
  engine: NerEngine,
  options: PredictOptions,
  memory: ProseMemory,
  abbreviations: boolean,
  edit?: { previous: ProseVersion; change: TextChange },
): Promise<ProseVersion> {
  const text = document.getText();
  const format = formatOf(document);
  const segmentation = edit ? memory.segmenter.edited(edit.previous.segmentation, text, edit.change, format) : memory.segmenter.segmentation(text, format);
  const { sentences, delta } = segmentation;
  const words = sentences.map((s) => s.texts);
  let raw: readonly SentencePrediction[];
  if (edit && delta) {
    const inserted = await engine.predict(words.slice(delta.from, delta.from + delta.inserted), options);
    raw = [...edit.previous.raw.slice(0, delta.from), ...inserted, ...edit.previous.raw.slice(delta.from + delta.deleted)];
  } else raw = await engine.predict(words, options);
  const index = edit ? edit.previous.index.edited(text, edit.change) : new LineIndex(text);
  return { index, sentences, segmentation, raw, predictions: abbreviations ? memory.abbreviations.apply(words, raw, WHOLE_TEXT) : raw };
}

/** The document's sentences; the segmenter keeps them, so a later call for the same text finds them all made. */
export function segmentDocument(document: TextDocument, segmenter: ProseSegmenter): readonly ProseSentence[] {
  return segmenter.segmentation(document.getText(), formatOf(document)).sentences;
}

const formatOf = (document: TextDocument): ProseFormat => (document.languageId === 'markdown' ? 'markdown' : 'plaintext');

const PREDICTED = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('predicted');
const LOW_CONFIDENCE = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('lowConfidence');
const BEGIN = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('begin');

/** The legend index of an entity type's token: made once per type, as every edit rebuilds all of a document's tokens. */
const tokenIndices = new Map<string, number>();
function tokenIndex(entityType: string): number {
  let index = tokenIndices.get(entityType);
  if (index === undefined) tokenIndices.set(entityType, (index = SEMANTIC_TOKEN_TYPES.indexOf(tokenTypeForEntity(entityType))));
  return index;
}

/** Each predicted entity's text, split at line breaks (a semantic token cannot span lines). */
export function proseSemanticTokens(analysis: ProseAnalysis, settings: BionerSettings): SemanticTokens {
  const builder = new SemanticTokensBuilder();
  analysis.sentences.forEach((sentence, s) => {
    for (const span of analysis.predictions[s].spans) {
      const type = tokenIndex(span.type);
      let modifiers = PREDICTED | BEGIN | (span.confidence < settings.lowConfidenceThreshold ? LOW_CONFIDENCE : 0);
      // One line search per run of words on one line: the next word is on it while it starts before the next line.
      let runStart = sentence.startOf(span.start);
      let from = analysis.index.positionAt(runStart);
      for (let w = span.start; w < span.end; w++) {
        if (w + 1 < span.end && sentence.startOf(w + 1) < (analysis.index.starts[from.line + 1] ?? Infinity)) continue;
        builder.push(from.line, from.character, sentence.endOf(w) - runStart, type, modifiers);
        modifiers &= ~BEGIN;
        if (w + 1 < span.end) from = analysis.index.positionAt((runStart = sentence.startOf(w + 1)));
      }
    }
  });
  return builder.build();
}

export function proseHover(analysis: ProseAnalysis, position: Position): Hover | null {
  const offset = analysis.index.offsetAt(position);
  for (const [s, sentence] of analysis.sentences.entries()) {
    if (offset < sentence.start || offset > sentence.end) continue;
    const prediction = analysis.predictions[s];
    const span = prediction.spans.find((p) => sentence.words[p.start].start <= offset && offset <= sentence.words[p.end - 1].end);
    if (!span) return null;
    return {
      range: { start: analysis.index.positionAt(sentence.words[span.start].start), end: analysis.index.positionAt(sentence.words[span.end - 1].end) },
      contents: { kind: MarkupKind.Markdown, value: describeSpan(analysis, sentence, span, prediction) },
    };
  }
  return null;
}

function describeSpan(analysis: ProseAnalysis, sentence: ProseSentence, span: PredictedSpan, prediction: SentencePrediction): string {
  const entityText = analysis.index.text.slice(sentence.words[span.start].start, sentence.words[span.end - 1].end);
  const source = span.abbreviation;
  return [
    `**${span.type}** (predicted): \`${entityText}\``,
    '',
    `Confidence ${formatPercent(span.confidence)}${source ? ' (of the long form)' : ''}`,
    '',
    ...(source ? [describeAbbreviation(source, analysis.index.positionAt(analysis.sentences[source.definedIn].start).line), ''] : []),
    describeRanked(sentence.words.slice(span.start, span.end).map((w) => w.text), prediction.ranked.slice(span.start, span.end)),
  ].join('\n');
}
