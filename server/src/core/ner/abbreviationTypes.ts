/**
 * One type per abbreviation within a document: every occurrence of a short form defined there ("acute renal
 * failure ( ARF )") gets the entity type of its long form, and the long form gets the type of its short form when
 * the model typed only the short one. The model decides each sentence alone; a definition is document context.
 */
import { tagsForChunks } from '../conll/convert';
import { findDefinitions, isLongForm, type AbbreviationSource, type Definition, type WordRange } from './abbreviations';
import type { PredictedSpan, SentencePrediction } from './engine';

/** Which sentences a definition reaches: those of its document, or, without document marks, its neighbours. */
export type AbbreviationScope = { documents: readonly WordRange[] } | { window: number };

/** The whole text is one document: a plain-text or Markdown file. */
export const WHOLE_TEXT: AbbreviationScope = { window: Number.POSITIVE_INFINITY };

/** Sentences on either side that a definition reaches in a BIO file without -DOCSTART- marks (about an abstract). */
export const NEIGHBOUR_WINDOW = 10;

/** A BIO file's scope: its -DOCSTART- sections, or without marks a window of neighbouring sentences. */
export function bioScope(sentenceLines: readonly number[], docstartLines: readonly number[]): AbbreviationScope {
  if (docstartLines.length === 0) return { window: NEIGHBOUR_WINDOW };
  const documents: WordRange[] = [];
  let s = 0;
  docstartLines.forEach((mark, d) => {
    while (s < sentenceLines.length && sentenceLines[s] < mark) s++;
    const start = s;
    const next = docstartLines[d + 1] ?? Number.POSITIVE_INFINITY;
    while (s < sentenceLines.length && sentenceLines[s] < next) s++;
    documents.push({ start, end: s });
  });
  return { documents };
}

interface Placed extends Definition {
  sentence: number;
  key: string;
}

interface Occurrence extends WordRange {
  sentence: number;
}

/** The predictions with abbreviation types applied; the same array when the text defines no abbreviation. */
export function withAbbreviationTypes(
  sentences: readonly (readonly string[])[],
  predictions: readonly SentencePrediction[],
  scope: AbbreviationScope,
): readonly SentencePrediction[] {
  const definitions = sentences.flatMap((words, sentence) => findDefinitions(words).map((d) => ({ ...d, sentence, key: text(words, d.short) })));
  if (definitions.length === 0) return predictions;
  const reaches = reachOf(scope, sentences.length);
  const starts = firstWordPlaces(sentences, new Set(definitions.map((d) => sentences[d.sentence][d.short.start])));
  const spans = predictions.map((p) => p.spans);
  const changed = new Set<number>();
  const put = (sentence: number, range: WordRange, like: PredictedSpan, source: AbbreviationSource) => {
    const current = spans[sentence];
    const overlapping = current.filter((s) => s.start < range.end && range.start < s.end);
    // An occurrence inside a longer entity ("IL-2 receptor") keeps that entity.
    if (overlapping.some((s) => s.start < range.start || s.end > range.end)) return;
    if (overlapping.length === 1 && overlapping[0].start === range.start && overlapping[0].end === range.end && overlapping[0].type === like.type) return;
    const span = { start: range.start, end: range.end, type: like.type, confidence: like.confidence, abbreviation: source };
    spans[sentence] = [...current.filter((s) => !overlapping.includes(s)), span].sort((a, b) => a.start - b.start);
    changed.add(sentence);
  };
  for (const [key, defined] of groupBy(definitions, (d) => d.key)) {
    const form = sentences[defined[0].sentence].slice(defined[0].short.start, defined[0].short.end);
    const occurrences = (starts.get(form[0]) ?? [])
      .filter((o) => form.every((word, k) => sentences[o.sentence][o.start + k] === word))
      .map((o) => ({ sentence: o.sentence, start: o.start, end: o.start + form.length }));
    const byDefinition = new Map<Placed, Occurrence[]>();
    for (const occurrence of occurrences) {
      const nearest = nearestDefinition(defined, occurrence.sentence, reaches);
      if (nearest) (byDefinition.get(nearest) ?? byDefinition.set(nearest, []).get(nearest)!).push(occurrence);
    }
    for (const [definition, reached] of byDefinition) {
      const fromLong = spanOfLongForm(sentences[definition.sentence], predictions[definition.sentence].spans, definition, key);
      const source = { shortForm: key, longForm: text(sentences[definition.sentence], fromLong ?? definition.long), definedIn: definition.sentence };
      const typed = fromLong ?? majorityType(reached.map((o) => predictions[o.sentence].spans.find((s) => s.start === o.start && s.end === o.end)));
      if (!typed) continue;
      // A long form with entities inside ("heparin - induced thrombocytopenia": a Chemical and a Disease) keeps them.
      const longIsOutside = !predictions[definition.sentence].spans.some((s) => s.start < definition.long.end && definition.long.start < s.end);
      if (!fromLong && longIsOutside) put(definition.sentence, definition.long, typed, source);
      for (const occurrence of reached) put(occurrence.sentence, occurrence, typed, source);
    }
  }
  if (changed.size === 0) return predictions;
  return predictions.map((p, s) => (changed.has(s) ? { ...p, spans: spans[s], labels: tagsForChunks(spans[s], p.labels.length, 'IOB2') } : p));
}

const text = (words: readonly string[], range: WordRange) => words.slice(range.start, range.end).join(' ');

/** Whether a definition in sentence `from` reaches sentence `to`. */
function reachOf(scope: AbbreviationScope, sentences: number): (from: number, to: number) => boolean {
  if ('window' in scope) return (from, to) => Math.abs(to - from) <= scope.window;
  // Sentences outside every document (before the first mark) form document -1 together.
  const documentOf = new Int32Array(sentences).fill(-1);
  scope.documents.forEach((d, i) => documentOf.fill(i, d.start, d.end));
  return (from, to) => documentOf[from] === documentOf[to];
}

/** The latest definition at or before the sentence that reaches it, else the first one after it. */
function nearestDefinition(defined: readonly Placed[], sentence: number, reaches: (from: number, to: number) => boolean): Placed | undefined {
  const reaching = defined.filter((d) => reaches(d.sentence, sentence));
  return reaching.filter((d) => d.sentence <= sentence).at(-1) ?? reaching[0];
}

/** Per word of `firsts`, every place it occurs, in order: one pass over the text for all short forms. */
function firstWordPlaces(sentences: readonly (readonly string[])[], firsts: ReadonlySet<string>): Map<string, { sentence: number; start: number }[]> {
  const places = new Map<string, { sentence: number; start: number }[]>();
  sentences.forEach((words, sentence) =>
    words.forEach((word, start) => {
      if (firsts.has(word)) (places.get(word) ?? places.set(word, []).get(word)!).push({ sentence, start });
    }),
  );
  return places;
}

/**
 * The predicted span that is the long form: it ends with it and is itself a long form of the short form (the
 * shortest match may leave out first words). Part of it ("renal blood flow ( RBF )" with "renal" typed,
 * "continuously nebulized albuterol ( CNA )" with "albuterol" a Chemical) or an entity around it ("deficiency
 * of arylsulfatase A ( ARSA )", a Disease) does not type the short form.
 */
function spanOfLongForm(words: readonly string[], spans: readonly PredictedSpan[], definition: Definition, short: string): PredictedSpan | undefined {
  const { long } = definition;
  return spans.find((s) => s.end === long.end && (s.start === long.start || (s.start < long.start && isLongForm(words, s, short.replace(/ /g, '')))));
}

/**
 * The most confident span of the type that more than half of the short form's occurrences have: one occurrence
 * the model typed does not speak for the others.
 */
function majorityType(spans: readonly (PredictedSpan | undefined)[]): PredictedSpan | undefined {
  const typed = groupBy(spans.filter((s): s is PredictedSpan => s !== undefined), (s) => s.type);
  const [top] = [...typed.values()].sort((a, b) => b.length - a.length);
  if (!top || 2 * top.length <= spans.length) return undefined;
  return top.reduce((best, s) => (s.confidence > best.confidence ? s : best));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) (groups.get(key(item)) ?? groups.set(key(item), []).get(key(item))!).push(item);
  return groups;
}
