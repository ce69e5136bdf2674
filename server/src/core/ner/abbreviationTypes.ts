/**
 * One type per abbreviation within a document: every occurrence of a short form defined there ("acute renal
 * failure ( ARF )") gets the entity type of its long form, and the long form gets the type of its short form when
 * the model typed only the short one. The model decides each sentence alone; a definition is document context.
 */
import { findDefinitions, isLongForm, type AbbreviationSource, type Definition, type WordRange } from './abbreviations';
import { withSpans, type PredictedSpan, type SentencePrediction } from './engine';

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

/** One typing an abbreviation makes: a word range of a sentence takes the type and confidence of a span. */
interface Put {
  sentence: number;
  range: WordRange;
  like: PredictedSpan;
  source: AbbreviationSource;
}

/** The definitions of each short form (by key), in sentence order; keys in the order of their first definition. */
function definitionsByKey(sentences: readonly (readonly string[])[]): Map<string, Placed[]> {
  return groupBy(
    sentences.flatMap((words, sentence) => definitionsOf(words).map((d) => ({ ...d, sentence }))),
    (d) => d.key,
  );
}

/** The typings of one short form: they depend on its definitions, its occurrences and those sentences' predictions. */
function putsOf(
  key: string,
  defined: readonly Placed[],
  places: readonly { sentence: number; start: number }[],
  sentences: readonly (readonly string[])[],
  predictions: readonly SentencePrediction[],
  reaches: (from: number, to: number) => boolean,
): Put[] {
  const form = sentences[defined[0].sentence].slice(defined[0].short.start, defined[0].short.end);
  const occurrences = places
    .filter((o) => form.every((word, k) => sentences[o.sentence][o.start + k] === word))
    .map((o) => ({ sentence: o.sentence, start: o.start, end: o.start + form.length }));
  const byDefinition = new Map<Placed, Occurrence[]>();
  for (const occurrence of occurrences) {
    const nearest = nearestDefinition(defined, occurrence.sentence, reaches);
    if (nearest) (byDefinition.get(nearest) ?? byDefinition.set(nearest, []).get(nearest)!).push(occurrence);
  }
  const puts: Put[] = [];
  for (const [definition, reached] of byDefinition) {
    const fromLong = spanOfLongForm(sentences[definition.sentence], predictions[definition.sentence].spans, definition, key);
    const source = { shortForm: key, longForm: text(sentences[definition.sentence], fromLong ?? definition.long), definedIn: definition.sentence };
    const typed = fromLong ?? majorityType(reached.map((o) => predictions[o.sentence].spans.find((s) => s.start === o.start && s.end === o.end)));
    if (!typed) continue;
    // A long form with entities inside ("heparin - induced thrombocytopenia": a Chemical and a Disease) keeps them.
    const longIsOutside = !predictions[definition.sentence].spans.some((s) => s.start < definition.long.end && definition.long.start < s.end);
    if (!fromLong && longIsOutside) puts.push({ sentence: definition.sentence, range: definition.long, like: typed, source });
    for (const occurrence of reached) puts.push({ sentence: occurrence.sentence, range: occurrence, like: typed, source });
  }
  return puts;
}

/** A sentence's typings, in order, and what they made of its prediction. */
interface Applied {
  puts: Put[];
  prediction: SentencePrediction;
}

/**
 * The predictions with each sentence's typings made in order; the same array when none changes a span. With
 * `previous`, only the sentences `again` are typed again, the others keep what they had, and a sentence whose
 * prediction and typings are those of `previous` keeps the prediction made then.
 */
function applyPuts(
  predictions: readonly SentencePrediction[],
  bySentence: ReadonlyMap<number, Put[]>,
  previous?: { typed: Typed; again: Iterable<number> },
): { result: readonly SentencePrediction[]; applied: Map<number, Applied> } {
  const applied = new Map(previous?.typed.applied);
  for (const sentence of previous ? previous.again : bySentence.keys()) {
    applied.delete(sentence);
    const own = bySentence.get(sentence);
    if (!own) continue;
    const before = previous?.typed.applied.get(sentence);
    if (before && previous!.typed.predictions[sentence] === predictions[sentence] && sameItems(before.puts, own)) {
      applied.set(sentence, { puts: own, prediction: before.prediction });
      continue;
    }
    let spans = predictions[sentence].spans;
    for (const { range, like, source } of own) {
      const overlapping = spans.filter((s) => s.start < range.end && range.start < s.end);
      // An occurrence inside a longer entity ("IL-2 receptor") keeps that entity.
      if (overlapping.some((s) => s.start < range.start || s.end > range.end)) continue;
      if (overlapping.length === 1 && overlapping[0].start === range.start && overlapping[0].end === range.end && overlapping[0].type === like.type) continue;
      const span = { start: range.start, end: range.end, type: like.type, confidence: like.confidence, abbreviation: source };
      spans = [...spans.filter((s) => !overlapping.includes(s)), span].sort((a, b) => a.start - b.start);
    }
    if (spans !== predictions[sentence].spans) applied.set(sentence, { puts: own, prediction: withSpans(predictions[sentence], spans) });
  }
  if (previous) {
    // A copy of the last result (a fast array copy), with the sentences typed again: an edit is not O(sentences) here.
    const result = previous.typed.result.slice();
    for (const sentence of previous.again) result[sentence] = applied.get(sentence)?.prediction ?? predictions[sentence];
    return { result, applied };
  }
  if (applied.size === 0) return { result: predictions, applied };
  return { result: predictions.map((p, s) => applied.get(s)?.prediction ?? p), applied };
}

const sameItems = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The predictions with abbreviation types applied; the same array when the text defines no abbreviation. */
export function withAbbreviationTypes(
  sentences: readonly (readonly string[])[],
  predictions: readonly SentencePrediction[],
  scope: AbbreviationScope,
): readonly SentencePrediction[] {
  return typeAbbreviations(sentences, predictions, scope).result;
}

interface Typed {
  predictions: readonly SentencePrediction[];
  result: readonly SentencePrediction[];
  byKey: Map<string, Placed[]>;
  /** Each short form's typings. */
  puts: Map<string, Put[]>;
  /** Each sentence's typings, short forms in the order of `byKey`. */
  bySentence: Map<number, Put[]>;
  /** Each sentence's, where they changed its prediction. */
  applied: Map<number, Applied>;
  /** Where the first word of each short form occurs. */
  places: Places;
  /** Per first word of a short form, the short forms (keys) that start with it. */
  firsts: Map<string, string[]>;
}

const firstOf = (sentences: readonly (readonly string[])[], defined: readonly Placed[]) => sentences[defined[0].sentence][defined[0].short.start];

/** withAbbreviationTypes, with the typings of each short form and where the first word of each occurs. */
function typeAbbreviations(sentences: readonly (readonly string[])[], predictions: readonly SentencePrediction[], scope: AbbreviationScope): Typed {
  const byKey = definitionsByKey(sentences);
  const firsts = groupBy([...byKey], ([, defined]) => firstOf(sentences, defined));
  const places = firstWordPlaces(sentences, new Set(firsts.keys()));
  const keysOf = new Map([...firsts].map(([first, keyed]) => [first, keyed.map(([key]) => key)]));
  const puts = new Map<string, Put[]>();
  if (byKey.size === 0) return { predictions, result: predictions, byKey, puts, bySentence: new Map(), applied: new Map(), places, firsts: keysOf };
  const reaches = reachOf(scope, sentences.length);
  for (const [key, defined] of byKey) puts.set(key, putsOf(key, defined, places.get(firstOf(sentences, defined)) ?? [], sentences, predictions, reaches));
  const bySentence = groupBy([...puts.values()].flat(), (put) => put.sentence);
  return { predictions, byKey, puts, bySentence, places, firsts: keysOf, ...applyPuts(predictions, bySentence) };
}

/**
 * `previous` with the sentences `changed` (same count, same definitions) changed: only the short forms whose first
 * word a changed sentence holds (before or after) are typed again, and only the sentences where they were or are
 * typed, or that changed, have their typings applied again.
 */
function retype(
  previous: Typed,
  before: readonly (readonly string[])[],
  sentences: readonly (readonly string[])[],
  predictions: readonly SentencePrediction[],
  scope: AbbreviationScope,
  changed: readonly number[],
): Typed {
  const touched = new Set(changed.flatMap((s) => [...sentences[s], ...before[s]]).flatMap((word) => previous.firsts.get(word) ?? []));
  const places = movedPlaces(previous.places, changed, before, sentences);
  const reaches = reachOf(scope, sentences.length);
  const puts = new Map(previous.puts);
  const again = new Set(changed);
  const fresh = new Map<number, Put[]>();
  // In byKey's order, so that each sentence's typings are made in the order a fresh pass makes them.
  for (const [key, defined] of previous.byKey) {
    if (!touched.has(key)) continue;
    const now = putsOf(key, defined, places.get(firstOf(sentences, defined)) ?? [], sentences, predictions, reaches);
    for (const put of previous.puts.get(key)!) again.add(put.sentence);
    for (const put of now) {
      again.add(put.sentence);
      (fresh.get(put.sentence) ?? fresh.set(put.sentence, []).get(put.sentence)!).push(put);
    }
    puts.set(key, now);
  }
  const order = new Map([...previous.byKey.keys()].map((key, i) => [key, i]));
  const bySentence = new Map(previous.bySentence);
  for (const sentence of again) {
    const own = [...(previous.bySentence.get(sentence) ?? []).filter((put) => !touched.has(put.source.shortForm)), ...(fresh.get(sentence) ?? [])];
    if (own.length === 0) bySentence.delete(sentence);
    else bySentence.set(sentence, own.sort((a, b) => order.get(a.source.shortForm)! - order.get(b.source.shortForm)!));
  }
  const { result, applied } = applyPuts(predictions, bySentence, { typed: previous, again });
  return { ...previous, predictions, result, puts, bySentence, applied, places };
}

/**
 * withAbbreviationTypes over the versions of one document. An edit usually changes one sentence. When every changed
 * sentence defines what it defined before, at the same words, the definitions stand, and only what the changed
 * sentences touch is typed again (retype); the other short forms and sentences keep their typings.
 */
export class DocumentAbbreviations {
  private last?: { sentences: readonly (readonly string[])[]; scope: AbbreviationScope; typed: Typed };

  apply(sentences: readonly (readonly string[])[], predictions: readonly SentencePrediction[], scope: AbbreviationScope): readonly SentencePrediction[] {
    const last = this.last;
    let typed: Typed | undefined;
    if (last && last.sentences.length === sentences.length && sameScope(last.scope, scope)) {
      const changed: number[] = [];
      for (let s = 0; s < sentences.length; s++) if (sentences[s] !== last.sentences[s] || predictions[s] !== last.typed.predictions[s]) changed.push(s);
      if (changed.every((s) => sameDefinitions(definitionsOf(sentences[s]), definitionsOf(last.sentences[s])))) {
        typed = retype(last.typed, last.sentences, sentences, predictions, scope, changed);
      }
    }
    typed ??= typeAbbreviations(sentences, predictions, scope);
    this.last = { sentences, scope, typed };
    return typed.result;
  }
}

function sameScope(a: AbbreviationScope, b: AbbreviationScope): boolean {
  if ('window' in a || 'window' in b) return 'window' in a && 'window' in b && a.window === b.window;
  return a.documents.length === b.documents.length && a.documents.every((d, i) => d.start === b.documents[i].start && d.end === b.documents[i].end);
}

const sameRange = (a: WordRange, b: WordRange) => a.start === b.start && a.end === b.end;
const sameDefinitions = (a: readonly Keyed[], b: readonly Keyed[]) =>
  a.length === b.length && a.every((d, i) => d.key === b[i].key && sameRange(d.short, b[i].short) && sameRange(d.long, b[i].long));

/** The places with the changed sentences' words looked at again: the lists they are in are rebuilt, in order. */
function movedPlaces(places: Places, changed: readonly number[], before: readonly (readonly string[])[], after: readonly (readonly string[])[]): Places {
  const moved = new Map(places);
  const again = new Set(changed);
  const words = new Set(changed.flatMap((s) => [...before[s], ...after[s]]).filter((word) => places.has(word)));
  for (const word of words) {
    const kept = places.get(word)!.filter((place) => !again.has(place.sentence));
    for (const s of changed) after[s].forEach((w, start) => w === word && kept.push({ sentence: s, start }));
    moved.set(word, kept.sort((a, b) => a.sentence - b.sentence || a.start - b.start));
  }
  return moved;
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

/** Per first word of a short form, every place it occurs, in order. */
type Places = ReadonlyMap<string, readonly { sentence: number; start: number }[]>;

/** Per word of `firsts`, every place it occurs, in order: one pass over the text for all short forms. */
function firstWordPlaces(sentences: readonly (readonly string[])[], firsts: ReadonlySet<string>): Places {
  const places = new Map<string, { sentence: number; start: number }[]>();
  for (const word of firsts) places.set(word, []);
  // A short form whose first word has no capital or digit needs every word looked at, not only marked ones.
  const everyWord = [...firsts].some((word) => !MARKED.test(word));
  for (let sentence = 0; sentence < sentences.length; sentence++) {
    const words = sentences[sentence];
    const positions = everyWord ? words.keys() : markedWords(words);
    for (const start of positions) {
      places.get(words[start])?.push({ sentence, start });
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

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) (groups.get(key(item)) ?? groups.set(key(item), []).get(key(item))!).push(item);
  return groups;
}
