/** The fuzzers' own model of a document under LSP: UTF-16 positions, random range edits, and range-inside checks. */
import assert from 'node:assert/strict';
import { decodeSemanticTokens } from './lspClient';
import { AWKWARD, randomLine, randomPieces, TAGS, type Random } from './random';

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface RangeEdit {
  range: Range;
  text: string;
}

const LINE_BREAK = /\r\n|\r|\n/g;

/** Lengths of the lines in UTF-16 units, by a plain split on the protocol's three line breaks. */
export function lineLengths(text: string): number[] {
  return text.split(LINE_BREAK).map((line) => line.length);
}

/**
 * A text addressed as LSP 3.17 says: lines end at \n, \r\n or \r, characters are UTF-16 units, and a character past
 * the end of a line means the end of that line. Written apart from the server's TextDocument, so the two can disagree.
 */
export class FuzzDocument {
  private starts: number[] = [];
  private ends: number[] = [];

  constructor(public text: string) {
    this.index();
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineLength(line: number): number {
    return this.ends[line] - this.starts[line];
  }

  offsetAt(position: Position): number {
    if (position.line >= this.lineCount) return this.text.length;
    return Math.min(this.starts[position.line] + position.character, this.ends[position.line]);
  }

  /** An offset inside a \r\n pair reads as the end of its line: no position lies between the two. */
  positionAt(offset: number): Position {
    let line = 0;
    while (line + 1 < this.lineCount && this.starts[line + 1] <= offset) line++;
    return { line, character: Math.min(offset, this.ends[line]) - this.starts[line] };
  }

  apply(edit: RangeEdit): void {
    const from = this.offsetAt(edit.range.start);
    const to = this.offsetAt(edit.range.end);
    this.text = this.text.slice(0, from) + edit.text + this.text.slice(to);
    this.index();
  }

  private index(): void {
    this.starts = [0];
    this.ends = [];
    for (const m of this.text.matchAll(LINE_BREAK)) {
      this.ends.push(m.index!);
      this.starts.push(m.index! + m[0].length);
    }
    this.ends.push(this.text.length);
  }
}

/** Positions where edits go wrong: inside surrogate pairs, at line ends and after a lone \r, past a line's end. */
function randomPosition(rng: Random, doc: FuzzDocument): Position {
  const line = rng.int(doc.lineCount);
  switch (rng.int(6)) {
    case 0: {
      const pairs = [...doc.text.matchAll(/[\ud800-\udbff](?=[\udc00-\udfff])/g)];
      if (pairs.length) return doc.positionAt(rng.pick(pairs).index! + 1);
      break;
    }
    case 1:
      return { line, character: doc.lineLength(line) };
    case 2: {
      // The start of the line after a lone \r: a \n inserted there makes \r\n, one line break instead of two.
      const lone = [...doc.text.matchAll(/\r(?!\n)/g)];
      if (lone.length) return doc.positionAt(rng.pick(lone).index! + 1);
      break;
    }
    case 3:
      return { line, character: doc.lineLength(line) + rng.between(1, 4) };
  }
  return doc.positionAt(rng.int(doc.text.length + 1));
}

function randomInsert(rng: Random): string {
  switch (rng.int(8)) {
    case 0:
    case 1:
      return '';
    case 2:
      return rng.pick(['\n', '\r', '\r\n', '\n\n', '\t']);
    case 3:
      return rng.pick(['\ud800', '\udc00', '\ud83e', '\udddc', '\u0301']);
    case 4:
      return rng.pick(TAGS);
    case 5:
      return `${randomLine(rng)}${rng.pick(['\n', '\r\n', '\r'])}`;
    case 6:
      return rng.pick(AWKWARD);
    default:
      return randomPieces(rng, rng.between(1, 6));
  }
}

/** A range edit as a client could send it, computed against the model's text. */
export function randomEdit(rng: Random, doc: FuzzDocument): RangeEdit {
  const start = randomPosition(rng, doc);
  let end = start;
  if (rng.chance(0.6)) {
    const other = rng.chance(0.7) ? doc.positionAt(doc.offsetAt(start) + rng.between(1, 12)) : randomPosition(rng, doc);
    end = doc.offsetAt(other) >= doc.offsetAt(start) ? other : start;
  }
  return { range: { start, end }, text: randomInsert(rng) };
}

export function assertPositionInside(lengths: readonly number[], p: Position, what: string): void {
  const ok = Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.line < lengths.length && p.character >= 0 && p.character <= lengths[p.line];
  assert.ok(ok, `${what}: ${JSON.stringify(p)} lies outside the document (${lengths.length} lines, that one of ${lengths[p.line] ?? '-'} characters)`);
}

export function assertRangeInside(lengths: readonly number[], range: Range, what: string): void {
  assertPositionInside(lengths, range.start, what);
  assertPositionInside(lengths, range.end, what);
  const ordered = range.start.line < range.end.line || (range.start.line === range.end.line && range.start.character <= range.end.character);
  assert.ok(ordered, `${what}: ${JSON.stringify(range)} ends before it starts`);
}

/** Every semantic token lies on one line of the document, within it. */
export function assertTokensInside(lengths: readonly number[], data: number[], what: string): void {
  for (const token of decodeSemanticTokens(data, [])) {
    assert.ok(token.length > 0, `${what}: empty token ${JSON.stringify(token)}`);
    assertRangeInside(lengths, { start: { line: token.line, character: token.start }, end: { line: token.line, character: token.start + token.length } }, what);
  }
}

export interface SymbolLike {
  range: Range;
  selectionRange: Range;
  children?: SymbolLike[];
}

/** Symbols lie inside the document, selection ranges inside their ranges, children inside their parents. */
export function assertSymbolsInside(lengths: readonly number[], symbols: readonly SymbolLike[], what: string, parent?: Range): void {
  const within = (inner: Range, outer: Range) =>
    (inner.start.line > outer.start.line || (inner.start.line === outer.start.line && inner.start.character >= outer.start.character)) &&
    (inner.end.line < outer.end.line || (inner.end.line === outer.end.line && inner.end.character <= outer.end.character));
  for (const symbol of symbols) {
    assertRangeInside(lengths, symbol.range, what);
    assertRangeInside(lengths, symbol.selectionRange, what);
    assert.ok(within(symbol.selectionRange, symbol.range), `${what}: selection range outside the symbol's range`);
    if (parent) assert.ok(within(symbol.range, parent), `${what}: child outside its parent`);
    assertSymbolsInside(lengths, symbol.children ?? [], what, symbol.range);
  }
}

export function assertFoldingInside(lengths: readonly number[], ranges: readonly { startLine: number; endLine: number }[], what: string): void {
  for (const r of ranges) {
    assert.ok(r.startLine >= 0 && r.startLine < r.endLine && r.endLine < lengths.length, `${what}: folding ${JSON.stringify(r)} in ${lengths.length} lines`);
  }
}
