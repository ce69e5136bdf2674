/**
 * One type per abbreviation within a document: every occurrence of a short form defined there ("acute renal
 * failure ( ARF )") gets the entity type of its long form, and the long form gets the type of its short form when
 * the model typed only the short one. The model decides each sentence alone; a definition is document context.
 */
import { tagsForChunks } from '../conll/convert';
import { findDefinitions, isLongForm, type AbbreviationSource, type Definition, type WordRange } from './abbreviations';
import type { PredictedSpan, SentencePrediction } from './engine';

/** Sentence indices, end exclusive. */
export interface SentenceRange {
  start: number;
  end: number;
}

/** Which sentences a definition reaches: those of its document, or, without document marks, its neighbours. */
export type AbbreviationScope = { documents: readonly SentenceRange[] } | { window: number };

/** The whole text is one document: a plain-text or Markdown file. */
export const WHOLE_TEXT: AbbreviationScope = { window: Number.POSITIVE_INFINITY };

/** Sentences on either side that a definition reaches in a BIO file without -DOCSTART- marks (about an abstract). */
export const NEIGHBOUR_WINDOW = 10;

/** A BIO file's scope: its -DOCSTART- sections, or without marks a window of neighbouring sentences. */
export function bioScope(sentenceLines: readonly number[], docstartLines: readonly number[]): AbbreviationScope {
  if (docstartLines.length === 0) return { window: NEIGHBOUR_WINDOW };
  const documents: SentenceRange[] = [];
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

interface Keyed extends Definition {
  /** The short form's words, space-separated. */
  key: string;
}

interface Placed extends Keyed {
  sentence: number;
}

/** Each sentence's definitions, kept while the caller keeps its words array (prose reuses unchanged paragraphs'). */
const definitionCache = new WeakMap<readonly string[], Keyed[]>();

function definitionsOf(words: readonly string[]): Keyed[] {
  let found = definitionCache.get(words);
  if (!found) definitionCache.set(words, (found = findDefinitions(words).map((d) => ({ ...d, key: text(words, d.short) }))));
  return found;
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
  const definitions = sentences.flatMap((words, sentence) => definitionsOf(words).map((d) => ({ ...d, sentence })));
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

/**
 * withAbbreviationTypes over the versions of one document. An edit usually changes one sentence; when every
 * changed sentence, before and after, defines nothing and holds no word that starts a short form, no type given
 * elsewhere can change, and the last result is kept with those sentences' new predictions.
 */
export class DocumentAbbreviations {
  private last?: { sentences: readonly (readonly string[])[]; predictions: readonly SentencePrediction[]; result: readonly SentencePrediction[]; firsts: Set<string> };

  apply(sentences: readonly (readonly string[])[], predictions: readonly SentencePrediction[], scope: AbbreviationScope): readonly SentencePrediction[] {
    const last = this.last;
    if (last && last.sentences.length === sentences.length) {
      const changed = sentences.flatMap((words, s) => (words !== last.sentences[s] || predictions[s] !== last.predictions[s] ? [s] : []));
      const untouched = (words: readonly string[]) => definitionsOf(words).length === 0 && !words.some((word) => last.firsts.has(word));
      if (changed.every((s) => untouched(sentences[s]) && untouched(last.sentences[s]))) {
        const result = last.result.map((p, s) => (changed.includes(s) ? predictions[s] : p));
        this.last = { ...last, sentences, predictions, result };
        return result;
      }
    }
    const result = withAbbreviationTypes(sentences, predictions, scope);
    const firsts = new Set(sentences.flatMap((words) => definitionsOf(words).map((d) => words[d.short.start])));
    this.last = { sentences, predictions, result, firsts };
    return result;
  }
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

/**
 * The latest definition at or before the sentence if it reaches it, else the first one after it if that does
 * (`defined` is in sentence order; an earlier one reaches no further than a later one, in a window or a document).
 */
function nearestDefinition(defined: readonly Placed[], sentence: number, reaches: (from: number, to: number) => boolean): Placed | undefined {
  let after = 0;
  for (let step = defined.length; step > 0; step >>= 1) {
    while (after + step <= defined.length && defined[after + step - 1].sentence <= sentence) after += step;
  }
  const before = defined[after - 1];
  if (before && reaches(before.sentence, sentence)) return before;
  const next = defined[after];
  return next && reaches(next.sentence, sentence) ? next : undefined;
}

/** A capital or a digit: what nearly every short form's first word has ("ARF", "mAb", "5-FU" → "FU"). */
const MARKED = /[\p{Lu}\p{N}]/u;

/** Per sentence words array, the positions of its marked words: an edit elsewhere does not scan them again. */
const markedCache = new WeakMap<readonly string[], number[]>();

function markedWords(words: readonly string[]): number[] {
  let found = markedCache.get(words);
  if (!found) markedCache.set(words, (found = words.flatMap((word, i) => (MARKED.test(word) ? [i] : []))));
  return found;
}

/** Per word of `firsts`, every place it occurs, in order: one pass over the text for all short forms. */
function firstWordPlaces(sentences: readonly (readonly string[])[], firsts: ReadonlySet<string>): Map<string, { sentence: number; start: number }[]> {
  const places = new Map<string, { sentence: number; start: number }[]>();
  // A short form whose first word has no capital or digit needs every word looked at, not only marked ones.
  const everyWord = [...firsts].some((word) => !MARKED.test(word));
  for (let sentence = 0; sentence < sentences.length; sentence++) {
    const words = sentences[sentence];
    const positions = everyWord ? words.keys() : markedWords(words);
    for (const start of positions) {
      if (!firsts.has(words[start])) continue;
      const list = places.get(words[start]);
      if (list) list.push({ sentence, start });
      else places.set(words[start], [{ sentence, start }]);
    }
  }
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
