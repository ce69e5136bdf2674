/** JSON and JSON Lines files: their records with locations, and which annotation tool's shape the records have. */
import { LineIndex } from '../text/lines';
import type { Problem } from './model';

export interface JsonRecord {
  value: Record<string, unknown>;
  /** `file:line`: the line the record starts on. */
  location: string;
}

/**
 * The records of a JSON array, a single JSON object, or JSON Lines (one object a line, blank lines skipped). A record
 * that is not a JSON object is a problem at its line and is skipped; an array whose brackets do not close is an error.
 */
export function readJsonRecords(text: string, file: string): { records: JsonRecord[]; problems: Problem[] } {
  const body = text.replace(/^\uFEFF/, '');
  const records: JsonRecord[] = [];
  const problems: Problem[] = [];
  const add = (source: string, line: number) => {
    const location = `${file}:${line}`;
    const parsed = parseJson(source);
    if (!parsed.ok) problems.push({ location, message: `not valid JSON (${parsed.error}); skipped` });
    else if (!isObject(parsed.value)) problems.push({ location, message: 'not a JSON object; skipped' });
    else records.push({ value: parsed.value, location });
  };
  if (body.trimStart().startsWith('[')) {
    const items = arrayItems(body);
    if (!items) throw new Error(`${file}: not valid JSON: the array's brackets do not close, or text follows it`);
    for (const item of items) add(item.text, item.line);
    return { records, problems };
  }
  const whole = parseJson(body);
  if (whole.ok && isObject(whole.value)) return { records: [{ value: whole.value, location: `${file}:1` }], problems };
  body.split(/\r?\n|\r/).forEach((line, i) => {
    if (line.trim() !== '') add(line, i + 1);
  });
  return { records, problems };
}

/**
 * The items of a top-level JSON array, split at the commas outside strings and brackets, each with the line it starts
 * on: a broken record is then reported at its line, and the others are read. Undefined when the brackets do not close.
 */
function arrayItems(body: string): { text: string; line: number }[] | undefined {
  const lines = new LineIndex(body);
  const items: { text: string; line: number }[] = [];
  const open = body.indexOf('[');
  let depth = 0;
  let inString = false;
  let escaped = false;
  let from = open + 1;
  const take = (to: number) => {
    const text = body.slice(from, to);
    const at = from + text.search(/\S|$/);
    if (text.trim() !== '') items.push({ text, line: lines.positionAt(at).line + 1 });
  };
  for (let i = open; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (--depth === 0) {
        take(i);
        return body.slice(i + 1).trim() === '' ? items : undefined;
      }
    } else if (c === ',' && depth === 1) {
      take(i);
      from = i + 1;
    }
  }
  return undefined;
}

/** JSON.parse without throwing; the error on one line. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes the text it failed on, line breaks included: a message stays on one line.
    return { ok: false, error: (error as Error).message.replace(/\s+/g, ' ') };
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The tool whose export the records look like, from the first record's keys; undefined when none fits. */
export function jsonFormatOf(records: readonly JsonRecord[]): 'doccano' | 'labelstudio' | 'prodigy' | undefined {
  const first = records[0]?.value;
  if (!first) return undefined;
  if (isObject(first.data)) return 'labelstudio';
  if (Array.isArray(first.tokens) || Array.isArray(first.spans)) return 'prodigy';
  if (typeof first.text === 'string') return 'doccano';
  return undefined;
}
