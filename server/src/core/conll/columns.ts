/** Splitting a CoNLL line into columns and telling token lines from structure lines. */
import { parseTag } from './tags';

export type Separator = 'tab' | 'space';

export interface Column {
  text: string;
  /** UTF-16 offsets in the line's text. */
  start: number;
  end: number;
}

export type LineKind = 'blank' | 'comment' | 'docstart' | 'token';

export function splitColumns(text: string, separator: Separator): Column[] {
  const columns: Column[] = [];
  if (separator === 'tab') {
    let start = 0;
    for (;;) {
      const tab = text.indexOf('\t', start);
      const end = tab < 0 ? text.length : tab;
      columns.push({ text: text.slice(start, end), start, end });
      if (tab < 0) return columns;
      start = tab + 1;
    }
  }
  const word = /[^ \t]+/g;
  for (let m = word.exec(text); m; m = word.exec(text)) {
    columns.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return columns;
}

/** A -DOCSTART- line: the CoNLL mark of a new document. */
export function isDocstart(text: string): boolean {
  return text.startsWith('-DOCSTART-');
}

export function lineKind(text: string, separator: Separator): LineKind {
  if (text.trim() === '') return 'blank';
  if (isDocstart(text)) return 'docstart';
  if (text.startsWith('#') && !looksLikeHashToken(text, separator)) return 'comment';
  return 'token';
}

/** '#' can be a token ("#\tO"); a comment is a '#' line that does not end in a tag column. */
function looksLikeHashToken(text: string, separator: Separator): boolean {
  if (separator === 'tab') return text.includes('\t');
  const columns = splitColumns(text, separator);
  return columns.length >= 2 && columns.length <= 6 && parseTag(columns[columns.length - 1].text).ok;
}

/** The separator most token-looking lines of a sample use. */
export function detectSeparator(sample: readonly string[]): Separator {
  let tabbed = 0;
  let candidates = 0;
  for (const text of sample) {
    if (text.trim() === '' || isDocstart(text) || text.startsWith('#')) continue;
    candidates++;
    if (text.includes('\t')) tabbed++;
  }
  return candidates === 0 || tabbed * 2 >= candidates ? 'tab' : 'space';
}
