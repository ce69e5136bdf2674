/** Groups the lines of a CoNLL document into sentences of token lines, pushed one line at a time. */
import type { Line } from '../text/lines';
import { lineKind, splitColumns, type Column, type Separator } from './columns';
import { parseTag, type Tag, type TagParse } from './tags';

export interface TokenLine {
  line: Line;
  columns: Column[];
  /** The tag column, when the line has one (a line of a single column has none). */
  tagColumn?: Column;
  tagParse?: TagParse;
}

export interface StructureSink {
  sentence(tokens: TokenLine[]): void;
  docstart?(line: Line): void;
  comment?(line: Line): void;
  blank?(line: Line): void;
}

/** Index of the tag column in a line of `count` columns; negative settings count from the end. */
export function tagColumnIndex(count: number, setting: number): number | undefined {
  if (count < 2) return undefined;
  const index = setting < 0 ? count + setting : setting;
  return index >= 0 && index < count ? index : undefined;
}

export function tokenLine(line: Line, separator: Separator, tagSetting: number): TokenLine {
  const columns = splitColumns(line.text, separator);
  const index = tagColumnIndex(columns.length, tagSetting);
  if (index === undefined) return { line, columns };
  const tagColumn = columns[index];
  return { line, columns, tagColumn, tagParse: parseTag(tagColumn.text.trim()) };
}

export function tagOf(token: TokenLine): Tag | null {
  return token.tagParse?.ok ? token.tagParse.tag : null;
}

export class SentenceReader {
  private tokens: TokenLine[] = [];
  constructor(
    private readonly separator: Separator,
    private readonly tagSetting: number,
    private readonly sink: StructureSink,
  ) {}

  push(line: Line): void {
    const kind = lineKind(line.text, this.separator);
    if (kind === 'token') {
      this.tokens.push(tokenLine(line, this.separator, this.tagSetting));
      return;
    }
    if (kind === 'comment') {
      this.sink.comment?.(line);
      return;
    }
    this.flush();
    if (kind === 'docstart') this.sink.docstart?.(line);
    else this.sink.blank?.(line);
  }

  end(): void {
    this.flush();
  }

  private flush(): void {
    if (this.tokens.length === 0) return;
    const tokens = this.tokens;
    this.tokens = [];
    this.sink.sentence(tokens);
  }
}
