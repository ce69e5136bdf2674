/** doccano JSONL: `{"text", "label": [[start, end, "Type"], …]}`; doccano's newer `"entities": [{start_offset, end_offset, label}]` is read too. */
import { checkedSpan, isProblem, type AnnotatedText, type Reading } from './model';
import { isObject, type JsonRecord } from './json';
import { CodePoints } from './offsets';

export function readDoccano(records: readonly JsonRecord[]): Reading {
  const reading: Reading = { documents: [], problems: [], notes: [] };
  let relations = 0;
  for (const { value, location } of records) {
    if (typeof value.text !== 'string') {
      reading.problems.push({ location, message: 'no "text" string; record skipped' });
      continue;
    }
    const text = value.text;
    const points = new CodePoints(text);
    const document: AnnotatedText = { text, spans: [], location };
    const entries = value.entities ?? value.label ?? [];
    if (!Array.isArray(entries)) reading.problems.push({ location, message: '"label"/"entities" is not a list; no spans read' });
    else
      entries.forEach((entry) => {
        const [start, end, type] = isObject(entry) ? [entry.start_offset, entry.end_offset, entry.label] : Array.isArray(entry) ? entry : [];
        const span = checkedSpan(points, start, end, type, location);
        if (isProblem(span)) reading.problems.push(span);
        else document.spans.push(span);
      });
    if (Array.isArray(value.relations)) relations += value.relations.length;
    reading.documents.push(document);
  }
  if (relations) reading.notes.push(`${relations} relation(s) ignored (only entities are converted)`);
  return reading;
}

export function writeDoccano(documents: readonly AnnotatedText[]): string {
  return documents
    .map(({ text, spans }) => {
      const points = new CodePoints(text);
      return JSON.stringify({ text, label: spans.map((s) => [points.fromUnits(s.start), points.fromUnits(s.end), s.type]) }) + '\n';
    })
    .join('');
}
