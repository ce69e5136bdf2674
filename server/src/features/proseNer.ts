/** Model predictions in plain text and Markdown: analysis, semantic tokens and hovers. */
import { MarkupKind, type Hover, type Position, type SemanticTokens } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BionerSettings } from '@common/settings';
import { WHOLE_TEXT, type DocumentAbbreviations } from '../core/ner/abbreviationTypes';
import type { NerEngine, PredictedSpan, PredictOptions, SentencePrediction } from '../core/ner/engine';
import type { ProseFormat } from '../core/prose/mask';
import { ProseSegmenter, type ProseSentence, type Segmentation } from '../core/prose/segment';
import { LineIndex } from '../core/text/lines';
import type { TextChange } from '../core/text/textChange';
import { ProseTokens } from './proseTokens';
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
  tokens: ProseTokens;
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
  const tokens = new ProseTokens(edit && delta ? { previous: edit.previous.tokens, delta } : undefined);
  return { index, sentences, segmentation, raw, tokens, predictions: abbreviations ? memory.abbreviations.apply(words, raw, WHOLE_TEXT) : raw };
}

/** The document's sentences; the segmenter keeps them, so a later call for the same text finds them all made. */
export function segmentDocument(document: TextDocument, segmenter: ProseSegmenter): readonly ProseSentence[] {
  return segmenter.segmentation(document.getText(), formatOf(document)).sentences;
}

const formatOf = (document: TextDocument): ProseFormat => (document.languageId === 'markdown' ? 'markdown' : 'plaintext');

/** Each predicted entity's text, split at line breaks; made once per version, mostly from the previous version's. */
export function proseSemanticTokens(analysis: ProseAnalysis & Pick<ProseVersion, 'tokens'>, settings: BionerSettings): SemanticTokens {
  return { data: analysis.tokens.data(analysis, settings.lowConfidenceThreshold) };
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
