/** Checks of a single token line: columns, the tag's form, and the characters of each column. */
import type { Layout } from '../conll/layout';
import type { TokenLine } from '../conll/reader';
import { replaceWith, type Finding, type Span } from './finding';
import { clip } from '../text/clip';

export function checkTokenLine(token: TokenLine, layout: Layout, report: (finding: Finding) => void): void {
  const { line, columns, tagColumn, tagParse } = token;
  const at = (start: number, end: number): Span => ({ line: line.number, start: line.offset + start, end: line.offset + end });
  if (columns.length !== layout.columnCount) {
    const separator = layout.separator === 'tab' ? 'tab-separated' : 'space-separated';
    report({
      code: 'column-count',
      ...at(0, line.text.length),
      message: `Expected ${layout.columnCount} ${separator} columns, found ${columns.length}`,
      fixes: [],
    });
    return;
  }
  if (tagColumn && tagColumn.text.trim() === '') {
    report({ code: 'empty-tag', ...at(tagColumn.start, Math.max(tagColumn.end, tagColumn.start)), message: 'The tag is empty', fixes: [] });
  } else if (tagColumn && tagParse && !tagParse.ok) {
    const span = at(tagColumn.start, tagColumn.end);
    const { suggestion } = tagParse;
    report({
      code: 'malformed-tag',
      ...span,
      message: `Malformed tag '${clip(tagColumn.text)}': ${tagParse.reason}`,
      fixes: suggestion ? [replaceWith(`Change to ${clip(suggestion)}`, span, suggestion)] : [],
    });
  }
  for (const column of columns) checkCharacters(column.text, column.start, layout, at, report);
}

/** Zero-width, no-break, bidirectional-control, soft-hyphen and C0/C1 control characters. */
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00A0\u00AD\u061C\u115F\u1160\u1680\u180E\u2000-\u200F\u2028-\u202F\u205F-\u2064\u2066-\u206F\u3000\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]/g;

function checkCharacters(
  text: string,
  start: number,
  layout: Layout,
  at: (start: number, end: number) => Span,
  report: (finding: Finding) => void,
): void {
  for (const match of text.matchAll(INVISIBLE)) {
    const from = start + match.index!;
    const span = at(from, from + 1);
    const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    report({
      code: 'invisible-character',
      ...span,
      message: `Invisible or unusual character U+${code} (${characterName(match[0])})`,
      fixes: [replaceWith(`Remove U+${code}`, span, '')],
    });
  }
  // In a space-separated file spaces are separators, so only tab-separated columns can hold whitespace.
  if (layout.separator !== 'tab') return;
  for (const match of text.matchAll(/[ \t\r\n]+/g)) {
    const from = start + match.index!;
    const span = at(from, from + match[0].length);
    const edge = match.index === 0 || match.index! + match[0].length === text.length;
    report({
      code: 'whitespace-in-token',
      ...span,
      message: edge ? `Column '${clip(text)}' has leading or trailing whitespace` : `Token '${clip(text)}' contains whitespace`,
      fixes: edge ? [replaceWith('Remove the whitespace', span, '')] : [],
    });
  }
}

function characterName(char: string): string {
  const c = char.charCodeAt(0);
  if (c === 0xa0) return 'no-break space';
  if (c === 0xad) return 'soft hyphen';
  if (c === 0xfeff) return 'zero-width no-break space / byte-order mark';
  if (c >= 0x200b && c <= 0x200d) return 'zero-width character';
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c) return 'bidirectional control';
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 'control character';
  return 'unusual space';
}
