/** First pass over a CoNLL document: separator, usual column count, scheme and label frequencies. */
import type { SchemeSetting } from '@common/settings';
import type { Line } from '../text/lines';
import { detectSeparator, type Separator } from './columns';
import { SentenceReader, tagOf, type TokenLine } from './reader';
import { schemeViolations } from './sequence';
import { SCHEMES, type Scheme } from './tags';

export interface Layout {
  separator: Separator;
  /** The most frequent column count of token lines. */
  columnCount: number;
  /** The `bioner.tagColumn` setting: -1 is the last column. */
  tagSetting: number;
  scheme: Scheme;
  typeCounts: TypeCounts;
  tokenLines: number;
  sentences: number;
}

/** The separator is told from this many first lines. */
export const SEPARATOR_SAMPLE = 1000;

/** The layout of lines already in memory. */
export function layoutOf(lines: Iterable<Line>, settings: { tagColumn: number; scheme: SchemeSetting }): Layout {
  const scanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  for (const line of lines) scanner.push(line);
  return scanner.finish();
}

/** How often each entity type occurs in a valid tag, and the first line it occurs on. */
export type TypeCounts = Map<string, { count: number; firstLine: number }>;

/**
 * The sums a layout is derived from, sentence by sentence, so that sentences can be taken out and put back in
 * (an edit) without reading the rest of the document again.
 */
export class LayoutTally {
  private constructor(
    private readonly columnCounts: Map<number, number>,
    private readonly violations: number[],
    /** In order of first line, the order a pass from the top meets them (label-typo ties depend on it). */
    private typeCounts: TypeCounts,
    private tokenLines: number,
    private sentences: number,
  ) {}

  static empty(): LayoutTally {
    return new LayoutTally(new Map(), SCHEMES.map(() => 0), new Map(), 0, 0);
  }

  clone(): LayoutTally {
    const types: TypeCounts = new Map();
    for (const [type, seen] of this.typeCounts) types.set(type, { ...seen });
    return new LayoutTally(new Map(this.columnCounts), [...this.violations], types, this.tokenLines, this.sentences);
  }

  /** Counts in a sentence after those counted so far. Returns its distinct types. */
  add(tokens: readonly TokenLine[]): string[] {
    return this.count(tokens, 1);
  }

  /**
   * Sentences of old lines [from, to] replaced by `added`, lines after `to` moved by `shift`. A type whose first
   * line was among the removed ones and that `added` lacks is looked for by `firstLineAfter` (in the new lines).
   * Returns the distinct types of each added sentence.
   */
  replace(
    removed: readonly TokenLine[][],
    added: readonly TokenLine[][],
    { from, to, shift }: { from: number; to: number; shift: number },
    firstLineAfter: (type: string) => number,
  ): string[][] {
    for (const tokens of removed) this.count(tokens, -1);
    for (const seen of this.typeCounts.values()) {
      if (seen.firstLine > to) seen.firstLine += shift;
      else if (seen.firstLine >= from) seen.firstLine = Infinity;
    }
    const types = added.map((tokens) => this.count(tokens, 1));
    for (const [type, seen] of this.typeCounts) if (seen.firstLine === Infinity) seen.firstLine = firstLineAfter(type);
    this.typeCounts = new Map([...this.typeCounts].sort((a, b) => a[1].firstLine - b[1].firstLine));
    return types;
  }

  layout(separator: Separator, tagSetting: number, schemeSetting: SchemeSetting): Layout {
    let columnCount = 2;
    let best = -1;
    for (const [count, lines] of this.columnCounts) {
      if (lines > best || (lines === best && count > columnCount)) [columnCount, best] = [count, lines];
    }
    return {
      separator,
      columnCount,
      tagSetting,
      scheme: schemeSetting === 'auto' ? this.bestScheme() : schemeSetting,
      typeCounts: this.typeCounts,
      tokenLines: this.tokenLines,
      sentences: this.sentences,
    };
  }

  /**
   * The scheme the fewest tags violate; ties go to the order of SCHEMES (IOB2 first). IOB1 must be clearly better
   * than IOB2, since a few I- starts in a small IOB2 file are errors to report, not a sign of IOB1.
   */
  private bestScheme(): Scheme {
    const violations = (scheme: Scheme) => this.violations[SCHEMES.indexOf(scheme)];
    let best: Scheme = SCHEMES[0];
    for (const scheme of SCHEMES) if (scheme !== 'IOB1' && violations(scheme) < violations(best)) best = scheme;
    const iob1ClearlyBetter = violations('IOB2') >= 3 && violations('IOB1') * 2 < violations('IOB2');
    return iob1ClearlyBetter && violations('IOB1') < violations(best) ? 'IOB1' : best;
  }

  private count(tokens: readonly TokenLine[], sign: 1 | -1): string[] {
    this.sentences += sign;
    this.tokenLines += sign * tokens.length;
    const types: string[] = [];
    for (const token of tokens) {
      bump(this.columnCounts, token.columns.length, sign);
      const tag = tagOf(token);
      if (!tag || tag.prefix === 'O' || !tag.type) continue;
      const seen = this.typeCounts.get(tag.type);
      if (!types.includes(tag.type)) types.push(tag.type);
      if (sign < 0) {
        if (--seen!.count === 0) this.typeCounts.delete(tag.type);
      } else if (seen) {
        seen.count++;
        seen.firstLine = Math.min(seen.firstLine, token.line.number);
      } else this.typeCounts.set(tag.type, { count: 1, firstLine: token.line.number });
    }
    const tags = tokens.map(tagOf);
    SCHEMES.forEach((scheme, i) => (this.violations[i] += sign * schemeViolations(tags, scheme)));
    return types;
  }
}

/** Adds `by` to a count, dropping it at zero so that a count seen nowhere never wins. */
function bump(counts: Map<number, number>, key: number, by: number): void {
  const count = (counts.get(key) ?? 0) + by;
  if (count === 0) counts.delete(key);
  else counts.set(key, count);
}

export class LayoutScanner {
  private sample: Line[] = [];
  private reader?: SentenceReader;
  private separator?: Separator;
  readonly tally = LayoutTally.empty();
  /** The distinct entity types of each sentence, in order; equal lists share one array. */
  readonly sentenceTypes: string[][] = [];
  private readonly shared = new Map<string, string[]>();

  constructor(
    private readonly tagSetting: number,
    private readonly schemeSetting: SchemeSetting,
  ) {}

  push(line: Line): void {
    if (this.reader) return this.reader.push(line);
    this.sample.push(line);
    if (this.sample.length >= SEPARATOR_SAMPLE) this.startReading();
  }

  finish(): Layout {
    if (!this.reader) this.startReading();
    this.reader!.end();
    return this.tally.layout(this.separator!, this.tagSetting, this.schemeSetting);
  }

  private startReading(): void {
    this.separator = separatorOf(this.sample);
    this.reader = new SentenceReader(this.separator, this.tagSetting, { sentence: (tokens) => this.sentence(tokens) });
    for (const line of this.sample) this.reader.push(line);
    this.sample = [];
  }

  private sentence(tokens: TokenLine[]): void {
    const types = this.tally.add(tokens);
    const key = types.join('\t');
    const shared = this.shared.get(key) ?? this.shared.set(key, types).get(key)!;
    this.sentenceTypes.push(shared);
  }
}

/** The separator of a document whose first lines these are (at least SEPARATOR_SAMPLE of them when it has as many). */
export function separatorOf(firstLines: readonly Line[]): Separator {
  return detectSeparator(firstLines.slice(0, SEPARATOR_SAMPLE).map((l) => l.text));
}
