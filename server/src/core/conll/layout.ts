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
  /** How often each entity type occurs in a valid tag, and the first line it occurs on. */
  typeCounts: Map<string, { count: number; firstLine: number }>;
  tokenLines: number;
  sentences: number;
}

const SEPARATOR_SAMPLE = 1000;

/** The layout of lines already in memory. */
export function layoutOf(lines: Iterable<Line>, settings: { tagColumn: number; scheme: SchemeSetting }): Layout {
  const scanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  for (const line of lines) scanner.push(line);
  return scanner.finish();
}

export class LayoutScanner {
  private sample: Line[] = [];
  private reader?: SentenceReader;
  private separator?: Separator;
  private columnCounts = new Map<number, number>();
  private violations = new Map<Scheme, number>(SCHEMES.map((s) => [s, 0]));
  private typeCounts = new Map<string, { count: number; firstLine: number }>();
  private tokenLines = 0;
  private sentences = 0;

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
    let columnCount = 2;
    let best = -1;
    for (const [count, lines] of this.columnCounts) {
      if (lines > best || (lines === best && count > columnCount)) [columnCount, best] = [count, lines];
    }
    return {
      separator: this.separator!,
      columnCount,
      tagSetting: this.tagSetting,
      scheme: this.schemeSetting === 'auto' ? this.bestScheme() : this.schemeSetting,
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
    const violations = (scheme: Scheme) => this.violations.get(scheme)!;
    let best: Scheme = SCHEMES[0];
    for (const scheme of SCHEMES) if (scheme !== 'IOB1' && violations(scheme) < violations(best)) best = scheme;
    const iob1ClearlyBetter = violations('IOB2') >= 3 && violations('IOB1') * 2 < violations('IOB2');
    return iob1ClearlyBetter && violations('IOB1') < violations(best) ? 'IOB1' : best;
  }

  private startReading(): void {
    this.separator = detectSeparator(this.sample.map((l) => l.text));
    this.reader = new SentenceReader(this.separator, this.tagSetting, { sentence: (tokens) => this.sentence(tokens) });
    for (const line of this.sample) this.reader.push(line);
    this.sample = [];
  }

  private sentence(tokens: TokenLine[]): void {
    this.sentences++;
    this.tokenLines += tokens.length;
    for (const token of tokens) {
      const n = token.columns.length;
      this.columnCounts.set(n, (this.columnCounts.get(n) ?? 0) + 1);
      const tag = tagOf(token);
      if (tag && tag.prefix !== 'O' && tag.type) {
        const seen = this.typeCounts.get(tag.type);
        if (seen) seen.count++;
        else this.typeCounts.set(tag.type, { count: 1, firstLine: token.line.number });
      }
    }
    const tags = tokens.map(tagOf);
    for (const scheme of SCHEMES) this.violations.set(scheme, this.violations.get(scheme)! + schemeViolations(tags, scheme));
  }
}
