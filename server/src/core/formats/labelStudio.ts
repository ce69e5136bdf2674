/**
 * Label Studio JSON: an array of tasks `{"data": {"text"}, "annotations": [{"result": [{"value": {"start", "end",
 * "text", "labels"}, "from_name", "to_name", "type": "labels"}]}]}`; `predictions` are read when a task has no annotation.
 */
import { clip } from '../text/clip';
import { checkedSpan, isProblem, type AnnotatedText, type Reading } from './model';
import { isObject, type JsonRecord } from './json';
import { CodePoints } from './offsets';

export function readLabelStudio(records: readonly JsonRecord[]): Reading {
  const reading: Reading = { documents: [], problems: [], notes: [] };
  let otherResults = 0;
  let moreAnnotations = 0;
  let fromPredictions = 0;
  for (const { value: task, location } of records) {
    const text = taskText(task.data);
    if (text === undefined) {
      reading.problems.push({ location, message: 'no text in "data" (a "text" field, or one string field); task skipped' });
      continue;
    }
    const annotations = usable(task.annotations ?? task.completions);
    const results = annotations[0] ?? usable(task.predictions)[0] ?? [];
    if (annotations.length > 1) moreAnnotations++;
    if (!annotations.length && results.length) fromPredictions++;
    const points = new CodePoints(text);
    const document: AnnotatedText = { text, spans: [], location };
    for (const result of results) {
      const value = isObject(result) ? result.value : undefined;
      if (!isObject(value) || !Array.isArray(value.labels) || !('start' in value)) {
        otherResults++;
        continue;
      }
      const [type, ...others] = value.labels;
      if (others.length) reading.problems.push({ location, message: `span ${value.start}-${value.end} has labels ${value.labels.map((l) => `'${clip(String(l))}'`).join(', ')}: only the first is kept` });
      const span = checkedSpan(points, value.start, value.end, type, location);
      if (isProblem(span)) reading.problems.push(span);
      else {
        const actual = text.slice(span.start, span.end);
        if (typeof value.text === 'string' && value.text !== actual) {
          reading.problems.push({ location, message: `span ${value.start}-${value.end} says its text is '${clip(value.text)}' but the task's text there is '${clip(actual)}'; the offsets are kept` });
        }
        document.spans.push(span);
      }
    }
    reading.documents.push(document);
  }
  if (moreAnnotations) reading.notes.push(`${moreAnnotations} task(s) have several annotations: the first one was read`);
  if (fromPredictions) reading.notes.push(`${fromPredictions} task(s) without annotations: their first prediction was read`);
  if (otherResults) reading.notes.push(`${otherResults} result(s) that are not text labels (relations, choices…) ignored`);
  return reading;
}

/** `data.text`, else the only string field of `data` (the text's name is the project's choice). */
function taskText(data: unknown): string | undefined {
  if (!isObject(data)) return undefined;
  if (typeof data.text === 'string') return data.text;
  const strings = Object.values(data).filter((v): v is string => typeof v === 'string');
  return strings.length === 1 ? strings[0] : undefined;
}

/** The result lists of annotations that were not cancelled. */
function usable(annotations: unknown): unknown[][] {
  if (!Array.isArray(annotations)) return [];
  return annotations.filter((a) => isObject(a) && !a.was_cancelled && Array.isArray(a.result)).map((a) => a.result as unknown[]);
}

export function writeLabelStudio(documents: readonly AnnotatedText[]): string {
  const tasks = documents.map(({ text, spans }) => {
    const points = new CodePoints(text);
    const result = spans.map((s, i) => ({
      id: `e${i + 1}`,
      from_name: 'label',
      to_name: 'text',
      type: 'labels',
      value: { start: points.fromUnits(s.start), end: points.fromUnits(s.end), text: text.slice(s.start, s.end), labels: [s.type] },
    }));
    return JSON.stringify({ data: { text }, annotations: [{ result }] });
  });
  return tasks.length ? `[\n${tasks.join(',\n')}\n]\n` : '[]\n';
}
