/** Runs every check over a document in two streaming passes, layout first, then findings sentence by sentence. */
import type { BionerSettings } from '@common/settings';
import { LayoutScanner, type Layout, type LayoutTally } from '../conll/layout';
import { SentenceReader, tagOf, type TokenLine } from '../conll/reader';
import { formatTag } from '../conll/tags';
import { LineIndex, linesOfFile, type Line } from '../text/lines';
import { replaceWith, type Finding } from './finding';
import { findLabelTypos, type LabelTypo } from './labelTypos';
import { checkTokenLine } from './lineChecks';
import { checkSentence } from './sequenceChecks';
import { clip } from '../text/clip';

export interface CheckResult {
  layout: Layout;
  findings: Finding[];
  structure: Structure;
  /** What the layout is summed from, and the label typos it implies: where a re-check after an edit starts. */
  tally: LayoutTally;
  typos: Map<string, LabelTypo>;
}

/** Where sentences and documents are: what folding, the outline and entity lookups need. */
export interface Structure {
  /** First and last line of each sentence, in order. */
  sentenceStarts: number[];
  sentenceEnds: number[];
  /** Lines of the -DOCSTART- markers. */
  docstarts: number[];
  /** The distinct entity types of each sentence, in order of first use; arrays may be shared, never changed. */
  sentenceTypes: string[][];
}

export type CheckSettings = Pick<BionerSettings, 'tagColumn' | 'scheme'>;

/** A re-readable source of lines: each call starts a new pass from the first line. */
export type LineSource = () => Iterable<Line> | AsyncIterable<Line>;

export interface PassControl {
  /** Called every `every` lines; may yield to the event loop and throws to abandon the check. */
  checkpoint?: (linesDone: number) => Promise<void> | void;
  every?: number;
}

export function checkText(text: string, settings: CheckSettings): CheckResult {
  const index = new LineIndex(text);
  const layoutScanner = scanLayout(index.lines(), settings);
  const checker = new FindingCollector(layoutScanner);
  for (const line of index.lines()) checker.push(line);
  return checker.finish();
}

export async function checkLines(source: LineSource, settings: CheckSettings, control: PassControl = {}): Promise<CheckResult> {
  const layoutScanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  await pass(source, (line) => layoutScanner.push(line), control);
  const checker = new FindingCollector(layoutScanner);
  await pass(source, (line) => checker.push(line), control);
  return checker.finish();
}

function scanLayout(lines: Iterable<Line>, settings: CheckSettings): LayoutScanner {
  const scanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  for (const line of lines) scanner.push(line);
  return scanner;
}

export function checkFile(path: string, settings: CheckSettings, control?: PassControl): Promise<CheckResult> {
  return checkLines(() => linesOfFile(path), settings, control);
}

async function pass(source: LineSource, push: (line: Line) => void, { checkpoint, every = 20000 }: PassControl): Promise<void> {
  let done = 0;
  for await (const line of source()) {
    push(line);
    if (checkpoint && ++done % every === 0) await checkpoint(done);
  }
}

/** The findings of one sentence: every finding is about a token line, so sentences can be checked one by one. */
export class SentenceChecker {
  constructor(
    private readonly layout: Layout,
    readonly typos: Map<string, LabelTypo>,
  ) {}

  /** The sentence's findings, in order of line and column. */
  check(tokens: TokenLine[]): Finding[] {
    const findings: Finding[] = [];
    const report = (finding: Finding) => findings.push(finding);
    for (const token of tokens) {
      checkTokenLine(token, this.layout, report);
      if (this.typos.size > 0) this.checkLabelTypo(token, report);
    }
    checkSentence(tokens, this.layout, report, (type) => this.typos.get(type)?.intended ?? type);
    return findings.sort((a, b) => a.line - b.line || a.start - b.start);
  }

  private checkLabelTypo(token: TokenLine, report: (finding: Finding) => void): void {
    const tag = tagOf(token);
    const typo = tag && this.typos.get(tag.type);
    if (!tag || !typo) return;
    const { line, tagColumn } = token;
    const span = { line: line.number, start: line.offset + tagColumn!.start, end: line.offset + tagColumn!.end };
    const replacement = formatTag({ prefix: tag.prefix, type: typo.intended });
    report({
      code: 'label-typo',
      ...span,
      message: `Label '${clip(typo.type)}' occurs ${typo.count}× but '${clip(typo.intended)}' ${typo.intendedCount}×: probably a typo`,
      fixes: [replaceWith(`Change to ${clip(replacement)}`, span, replacement)],
      // The first use of the intended label is tracked by the typo map: when it moves, the typo's sentences are re-checked.
      related: [{ line: typo.intendedFirstLine, start: 0, end: 0, message: `First use of '${clip(typo.intended)}'` }],
    });
  }
}

/** The second pass: sentences, their findings and where they are. */
class FindingCollector {
  private readonly findings: Finding[] = [];
  private readonly structure: Structure;
  private readonly reader: SentenceReader;
  private readonly checker: SentenceChecker;
  private readonly layout: Layout;

  constructor(private readonly scanner: LayoutScanner) {
    this.layout = scanner.finish();
    this.checker = new SentenceChecker(this.layout, findLabelTypos(this.layout));
    this.structure = { sentenceStarts: [], sentenceEnds: [], docstarts: [], sentenceTypes: scanner.sentenceTypes };
    this.reader = new SentenceReader(this.layout.separator, this.layout.tagSetting, {
      sentence: (tokens) => this.sentence(tokens),
      docstart: (line) => this.structure.docstarts.push(line.number),
    });
  }

  push(line: Line): void {
    this.reader.push(line);
  }

  finish(): CheckResult {
    this.reader.end();
    return { layout: this.layout, findings: this.findings, structure: this.structure, tally: this.scanner.tally, typos: this.checker.typos };
  }

  private sentence(tokens: TokenLine[]): void {
    this.structure.sentenceStarts.push(tokens[0].line.number);
    this.structure.sentenceEnds.push(tokens[tokens.length - 1].line.number);
    for (const finding of this.checker.check(tokens)) this.findings.push(finding);
  }
}
