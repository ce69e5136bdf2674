/** Runs every check over a document in two streaming passes: layout first, then findings. */
import type { BionerSettings } from '@common/settings';
import { LayoutScanner, layoutOf, type Layout } from '../conll/layout';
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
}

/** Where sentences and documents are: what folding, the outline and entity lookups need. */
export interface Structure {
  /** First and last line of each sentence, in order. */
  sentenceStarts: number[];
  sentenceEnds: number[];
  /** Lines of the -DOCSTART- markers. */
  docstarts: number[];
}

type CheckSettings = Pick<BionerSettings, 'tagColumn' | 'scheme'>;

/** A re-readable source of lines: each call starts a new pass from the first line. */
export type LineSource = () => Iterable<Line> | AsyncIterable<Line>;

export interface PassControl {
  /** Called every `every` lines; may yield to the event loop and throws to abandon the check. */
  checkpoint?: (linesDone: number) => Promise<void> | void;
  every?: number;
}

export function checkText(text: string, settings: CheckSettings): CheckResult {
  const index = new LineIndex(text);
  const layout = layoutOf(index.lines(), settings);
  const checker = new FindingCollector(layout);
  for (const line of index.lines()) checker.push(line);
  return { layout, ...checker.finish() };
}

export async function checkLines(source: LineSource, settings: CheckSettings, control: PassControl = {}): Promise<CheckResult> {
  const layoutScanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  await pass(source, (line) => layoutScanner.push(line), control);
  const layout = layoutScanner.finish();
  const checker = new FindingCollector(layout);
  await pass(source, (line) => checker.push(line), control);
  return { layout, ...checker.finish() };
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

class FindingCollector {
  private readonly findings: Finding[] = [];
  private readonly structure: Structure = { sentenceStarts: [], sentenceEnds: [], docstarts: [] };
  private readonly reader: SentenceReader;
  private readonly typos: Map<string, LabelTypo>;

  constructor(private readonly layout: Layout) {
    this.typos = findLabelTypos(layout);
    this.reader = new SentenceReader(layout.separator, layout.tagSetting, {
      sentence: (tokens) => this.sentence(tokens),
      docstart: (line) => this.structure.docstarts.push(line.number),
    });
  }

  push(line: Line): void {
    this.reader.push(line);
  }

  finish(): { findings: Finding[]; structure: Structure } {
    this.reader.end();
    return { findings: this.findings.sort((a, b) => a.line - b.line || a.start - b.start), structure: this.structure };
  }

  private sentence(tokens: TokenLine[]): void {
    this.structure.sentenceStarts.push(tokens[0].line.number);
    this.structure.sentenceEnds.push(tokens[tokens.length - 1].line.number);
    const report = (finding: Finding) => this.findings.push(finding);
    for (const token of tokens) {
      checkTokenLine(token, this.layout, report);
      if (this.typos.size > 0) this.checkLabelTypo(token, report);
    }
    checkSentence(tokens, this.layout, report, (type) => this.typos.get(type)?.intended ?? type);
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
      related: [{ line: typo.intendedFirstLine, start: 0, end: 0, message: `First use of '${clip(typo.intended)}'` }],
    });
  }
}
