/**
 * brat standoff: a text file and its `.ann`, one `T1<TAB>Type START END<TAB>text` line per entity (offsets in the
 * whole text, end exclusive). Each line of the text is a record; lines an entity crosses make one record.
 */
import { clip } from '../text/clip';
import { LineIndex } from '../text/lines';
import { firstWhere } from '../text/search';
import { checkedSpan, isProblem, spacelessType, type AnnotatedText, type EntitySpan, type Problem, type Reading } from './model';
import { CodePoints } from './offsets';

const ENTITY = /^(T\S*)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)$/;
/** Annotations that are not entities: relations, events, attributes (A, and M of old brat), normalizations, equivalences, notes. */
const OTHER_KINDS: Record<string, string> = { R: 'relation', E: 'event', A: 'attribute', M: 'attribute', N: 'normalization', '*': 'equivalence', '#': 'note' };

export function readBrat(txt: string, ann: string, files: { txt: string; ann: string }): Reading {
  const reading: Reading = { documents: [], problems: [], notes: [] };
  const points = new CodePoints(txt);
  const spans: EntitySpan[] = [];
  const ignored = new Map<string, number>();
  ann.split(/\r?\n|\r/).forEach((line, i) => {
    if (line.trim() === '') return;
    const location = `${files.ann}:${i + 1}`;
    const other = OTHER_KINDS[line[0]];
    if (other) {
      ignored.set(other, (ignored.get(other) ?? 0) + 1);
      return;
    }
    const match = ENTITY.exec(line);
    if (!match) {
      reading.problems.push({ location, message: `not a brat annotation line ('${clip(line)}'); skipped` });
      return;
    }
    const [, id, type, fragments, quoted] = match;
    if (fragments.includes(';')) {
      reading.problems.push({ location, message: `${id} (${clip(type)}) is discontinuous (fragments ${fragments}, '${clip(quoted)}'): one span cannot hold it; skipped` });
      return;
    }
    const [start, end] = fragments.split(' ').map(Number);
    const span = checkedSpan(points, start, end, type, location);
    if (isProblem(span)) return void reading.problems.push(span);
    const actual = txt.slice(span.start, span.end);
    if (quoted !== oneLine(actual)) reading.problems.push({ location, message: `${id} says its text is '${clip(quoted)}' but the text at ${start}-${end} is '${clip(actual)}'; the offsets are kept` });
    spans.push({ ...span, origin: `${location} (${id})` });
  });
  for (const [kind, count] of ignored) reading.notes.push(`${count} ${kind} line(s) ignored (only entities are converted)`);
  const records = splitIntoRecords(txt, spans, reading.problems);
  const lines = new LineIndex(txt);
  reading.documents = records.map(({ start, end, spans }) => ({
    text: txt.slice(start, end),
    spans: spans.map((s) => ({ ...s, start: s.start - start, end: s.end - start })),
    location: `${files.txt}:${lines.positionAt(start).line + 1}`,
    fileOffset: points.fromUnits(start),
  }));
  return reading;
}

/** The text's non-blank lines, those an entity crosses joined, each with the spans inside it (in the text's offsets). */
function splitIntoRecords(txt: string, spans: readonly EntitySpan[], problems: Problem[]): { start: number; end: number; spans: EntitySpan[] }[] {
  const lines = [...txt.matchAll(/[^\r\n]+/g)].filter((m) => m[0].trim() !== '').map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
  const joinsNext = new Array<boolean>(lines.length).fill(false);
  const placed: { line: number; span: EntitySpan }[] = [];
  for (const span of spans) {
    const first = firstWhere(lines.length, (i) => lines[i].end > span.start);
    if (first === lines.length || lines[first].start >= span.end) {
      problems.push({ location: span.origin!, message: `span ${span.start}-${span.end} (${clip(span.type)}) covers only line breaks or spaces; skipped` });
      continue;
    }
    let last = first;
    while (last + 1 < lines.length && lines[last + 1].start < span.end) joinsNext[last++] = true;
    placed.push({ line: first, span });
  }
  const records: { start: number; end: number; spans: EntitySpan[] }[] = [];
  const recordOfLine: number[] = [];
  lines.forEach((line, i) => {
    if (i > 0 && joinsNext[i - 1]) records[records.length - 1].end = line.end;
    else records.push({ ...line, spans: [] });
    recordOfLine.push(records.length - 1);
  });
  for (const { line, span } of placed) records[recordOfLine[line]].spans.push(span);
  for (const record of records) record.spans.sort((a, b) => a.start - b.start || b.end - a.end);
  return records;
}

/** brat's text field is one line: line breaks inside an entity are written as spaces. */
function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ');
}

/** The records as one text, a line each, and its `.ann`. */
export function writeBrat(documents: readonly AnnotatedText[]): { txt: string; ann: string; problems: Problem[]; notes: string[] } {
  const problems: Problem[] = [];
  const ann: string[] = [];
  let offset = 0;
  let multiline = 0;
  for (const { text, spans, location } of documents) {
    const points = new CodePoints(text);
    if (/[\r\n]/.test(text)) multiline++;
    for (const span of spans) {
      const type = spacelessType(span.type, 'brat', span.origin ?? location, problems);
      ann.push(`T${ann.length + 1}\t${type} ${offset + points.fromUnits(span.start)} ${offset + points.fromUnits(span.end)}\t${oneLine(text.slice(span.start, span.end))}\n`);
    }
    offset += points.length + 1;
  }
  const notes = multiline ? [`${multiline} record(s) hold line breaks: brat keeps their text, but reads each line back as a record`] : [];
  return { txt: documents.map((d) => d.text + '\n').join(''), ann: ann.join(''), problems, notes };
}
