/** Lines of a document with LSP positions: line numbers and UTF-16 columns, any of \n, \r\n, \r ending a line. */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { firstAbove } from './search';
import type { TextChange } from './textChange';

export interface Line {
  /** Zero-based line number. */
  number: number;
  /** The line's text without its line break (and without a leading byte-order mark). */
  text: string;
  /** UTF-16 column of text[0] in the document: 1 when a byte-order mark was dropped, else 0. */
  offset: number;
}

const BOM = '\uFEFF';

/** Start offsets of every line; line i spans [starts[i], end of its text). */
export class LineIndex {
  readonly starts: Int32Array;
  /** `starts`, when given, are the line starts of `text` already known. */
  constructor(
    readonly text: string,
    starts = scanStarts(text),
  ) {
    this.starts = starts;
  }

  /**
   * The index of `text`, which is this text with `change` made: only line starts near the change are looked for.
   * Whether offset p starts a line depends on characters p-1 and p alone (a \r followed by \n ends one line), so
   * starts before the change stay and those past its end + 1 move by the change in length.
   */
  edited(text: string, change: TextChange): LineIndex {
    const { start, end, length } = change;
    const old = this.starts;
    const head = firstAbove(old, start - 1);
    const tail = firstAbove(old, end + 1);
    const middle: number[] = start === 0 ? [0] : [];
    const last = Math.min(start + length + 1, text.length);
    for (let p = Math.max(start, 1); p <= last; p++) {
      const c = text.charCodeAt(p - 1);
      if (c === 10 || (c === 13 && text.charCodeAt(p) !== 10)) middle.push(p);
    }
    const starts = new Int32Array(head + middle.length + old.length - tail);
    starts.set(old.subarray(0, head));
    starts.set(middle, head);
    const shift = length - (end - start);
    const moveBy = head + middle.length - tail;
    for (let i = tail; i < old.length; i++) starts[i + moveBy] = old[i] + shift;
    return new LineIndex(text, starts);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  line(number: number): Line {
    const start = this.starts[number];
    let end = number + 1 < this.starts.length ? this.starts[number + 1] : this.text.length;
    if (end > start && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    const raw = this.text.slice(start, end);
    return number === 0 && raw.startsWith(BOM) ? { number, text: raw.slice(1), offset: 1 } : { number, text: raw, offset: 0 };
  }

  /** Line and UTF-16 column of a document offset. */
  positionAt(offset: number): { line: number; character: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }

  offsetAt(position: { line: number; character: number }): number {
    return (this.starts[position.line] ?? this.text.length) + position.character;
  }

  *lines(from = 0, to = this.lineCount): Generator<Line> {
    for (let n = from; n < to; n++) yield this.line(n);
  }
}

function scanStarts(text: string): Int32Array {
  const starts: number[] = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return Int32Array.from(starts);
}

/** Streams the lines of a file of any size, decoding UTF-8 incrementally. */
export async function* linesOfFile(path: string): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  let afterCR = false;
  const emit = (raw: string): Line => {
    const line = number === 0 && raw.startsWith(BOM) ? { number, text: raw.slice(1), offset: 1 } : { number, text: raw, offset: 0 };
    number++;
    return line;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let text = decoder.write(chunk as Buffer);
    // A \r\n split across chunks: the \n belongs to the line the \r already ended.
    if (afterCR && text.startsWith('\n')) text = text.slice(1);
    afterCR = false;
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      yield emit(pending + text.slice(from, i));
      pending = '';
      if (c === 13) {
        if (i + 1 === text.length) afterCR = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      from = i + 1;
    }
    pending += text.slice(from);
  }
  pending += decoder.end();
  yield emit(pending);
}
