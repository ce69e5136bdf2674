/**
 * Prodigy JSONL: `{"text", "tokens": [{"text", "start", "end", "id", "ws"}], "spans": [{"start", "end", "token_start",
 * "token_end", "label"}]}`, token_end inclusive as Prodigy has it. Examples answered "reject" or "ignore" are skipped.
 */
import { clip } from '../text/clip';
import { checkedSpan, describeSpan, isProblem, type AnnotatedText, type Problem, type Reading, type TokenSpan } from './model';
import { isObject, type JsonRecord } from './json';
import { CodePoints } from './offsets';
import { sentencesOf, touchedWords, type TextKind } from './words';

export function readProdigy(records: readonly JsonRecord[]): Reading {
  const reading: Reading = { documents: [], problems: [], notes: [] };
  let rejected = 0;
  for (const { value, location } of records) {
    if (value.answer === 'reject' || value.answer === 'ignore') {
      rejected++;
      continue;
    }
    if (typeof value.text !== 'string') {
      reading.problems.push({ location, message: 'no "text" string; example skipped' });
      continue;
    }
    const text = value.text;
    const points = new CodePoints(text);
    const document: AnnotatedText = { text, spans: [], location };
    if (value.tokens !== undefined) {
      const tokens = readTokens(value.tokens, text, points);
      if (Array.isArray(tokens)) document.tokens = tokens;
      else reading.problems.push({ location, message: `${tokens.message}; the text is split into words instead` });
    }
    for (const entry of Array.isArray(value.spans) ? value.spans : []) {
      const span = isObject(entry) ? checkedSpan(points, entry.start, entry.end, entry.label, location) : { location, message: 'a span is not an object; skipped' };
      if (isProblem(span)) reading.problems.push(span);
      else document.spans.push(span);
    }
    reading.documents.push(document);
  }
  if (rejected) reading.notes.push(`${rejected} example(s) answered "reject" or "ignore" skipped`);
  return reading;
}

/** The tokens, in order, not overlapping, each with the text it claims; or why they cannot be used. */
function readTokens(tokens: unknown, text: string, points: CodePoints): TokenSpan[] | { message: string } {
  if (!Array.isArray(tokens)) return { message: '"tokens" is not a list' };
  const read: TokenSpan[] = [];
  for (const [i, token] of tokens.entries()) {
    const { start, end } = isObject(token) ? token : {};
    const previousEnd = read.length ? points.fromUnits(read[read.length - 1].end) : 0;
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < previousEnd || (start as number) >= (end as number) || (end as number) > points.length) {
      return { message: `token ${i} has offsets ${JSON.stringify(start)}-${JSON.stringify(end)}, not inside the text after the token before` };
    }
    const span = { start: points.toUnits(start as number), end: points.toUnits(end as number) };
    const claimed = (token as Record<string, unknown>).text;
    if (typeof claimed === 'string' && claimed !== text.slice(span.start, span.end)) {
      return { message: `token ${i} says '${clip(claimed)}' but the text there is '${clip(text.slice(span.start, span.end))}'` };
    }
    read.push(span);
  }
  return read;
}

/** The examples, with their own tokens or the text split as `kind` says. A span not on token boundaries is a problem. */
export function writeProdigy(documents: readonly AnnotatedText[], kind: TextKind): { text: string; problems: Problem[]; entities: number } {
  const problems: Problem[] = [];
  let entities = 0;
  const lines = documents.map((document) => {
    const { text, location } = document;
    const points = new CodePoints(text);
    const words = document.tokens ?? sentencesOf(text, kind).flat();
    const tokens = words.map((w, id) => ({ text: text.slice(w.start, w.end), start: points.fromUnits(w.start), end: points.fromUnits(w.end), id, ws: /\s/.test(text[w.end] ?? '') }));
    const spans = document.spans.flatMap((span) => {
      const touched = touchedWords(words, span);
      if (!touched) {
        problems.push({ location: span.origin ?? location, message: `span ${describeSpan(document, span)} covers no token; skipped` });
        return [];
      }
      if (!touched.aligned) problems.push({ location: span.origin ?? location, message: `span ${describeSpan(document, span)} does not start and end on token boundaries; its token_start/token_end are those of the tokens it touches` });
      return [{ start: points.fromUnits(span.start), end: points.fromUnits(span.end), token_start: touched.first, token_end: touched.last, label: span.type }];
    });
    entities += spans.length;
    return JSON.stringify({ text, tokens, spans }) + '\n';
  });
  return { text: lines.join(''), problems, entities };
}
