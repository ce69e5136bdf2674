/** Re-checks a CoNLL document after an edit: only the sentences on changed lines; the others move along. */
import { SentenceChecker, type CheckSettings, type PassControl, type Structure } from '../checks/checker';
import type { Finding } from '../checks/finding';
import { findLabelTypos, type LabelTypo } from '../checks/labelTypos';
import type { LineIndex } from '../text/lines';
import { firstAbove, firstWhere } from '../text/search';
import type { TextChange } from '../text/textChange';
import { analyzeConll, tokensBetween, type ConllAnalysis } from './analysis';
import { lineKind } from './columns';
import { SEPARATOR_SAMPLE, separatorOf, type Layout } from './layout';
import { SentenceReader, type TokenLine } from './reader';

/** Changes touching more characters than this are checked from scratch, by a pass that yields. */
const LARGEST_CHANGE = 1 << 20;

/**
 * The analysis of `text`, which is the previous analysis's text with `change` made. Equal to a full analysis of
 * `text`; falls back to one when the layout a whole file implies changes (separator, usual column count, scheme).
 */
export async function updateConll(previous: ConllAnalysis, text: string, change: TextChange, settings: CheckSettings, control?: PassControl): Promise<ConllAnalysis> {
  const sameSettings = previous.settings.tagColumn === settings.tagColumn && previous.settings.scheme === settings.scheme;
  const small = change.end - change.start + change.length <= LARGEST_CHANGE;
  return (sameSettings && small && recheck(previous, text, change)) || analyzeConll(text, settings, control);
}

function recheck(previous: ConllAnalysis, text: string, change: TextChange): ConllAnalysis | undefined {
  const old = previous.index;
  const index = old.edited(text, change);
  const shift = index.lineCount - old.lineCount;
  // Lines before `first` keep their text and number; so do those after `lastOld`, moved by `shift`. One line of
  // margin on each side covers edits inside a \r\n.
  const first = Math.max(0, old.positionAt(change.start).line - 1);
  const lastOld = Math.min(old.lineCount - 1, old.positionAt(change.end).line + 1);
  const { layout, structure } = previous;
  if (first < SEPARATOR_SAMPLE && separatorOf([...index.lines(0, Math.min(SEPARATOR_SAMPLE, index.lineCount))]) !== layout.separator) return undefined;

  const from = readingStart(previous, first);
  const region = readSentences(index, layout, from, lastOld + shift);
  const to = region.to - shift;
  const firstReplaced = firstAbove(structure.sentenceStarts, from - 1);
  const afterReplaced = firstAbove(structure.sentenceStarts, to);

  const tally = previous.tally.clone();
  const removed = [];
  for (let s = firstReplaced; s < afterReplaced; s++) removed.push(tokensBetween(old, layout, structure.sentenceStarts[s], structure.sentenceEnds[s]));
  const firstLineAfter = (type: string): number => {
    for (let s = afterReplaced; s < structure.sentenceTypes.length; s++) {
      if (!structure.sentenceTypes[s].includes(type)) continue;
      const tokens = tokensBetween(index, layout, structure.sentenceStarts[s] + shift, structure.sentenceEnds[s] + shift);
      return tokens.find((token) => token.tagParse?.ok && token.tagParse.tag.type === type)!.line.number;
    }
    throw new Error(`label '${type}' is counted but not found`);
  };
  const types = tally.replace(removed, region.sentences, { from, to, shift }, firstLineAfter);
  const newLayout = tally.layout(layout.separator, layout.tagSetting, previous.settings.scheme);
  if (newLayout.columnCount !== layout.columnCount || newLayout.scheme !== layout.scheme) return undefined;

  const newStructure: Structure = {
    sentenceStarts: spliced(structure.sentenceStarts, firstReplaced, afterReplaced, region.sentences.map((t) => t[0].line.number), shift),
    sentenceEnds: spliced(structure.sentenceEnds, firstReplaced, afterReplaced, region.sentences.map((t) => t[t.length - 1].line.number), shift),
    docstarts: spliced(structure.docstarts, firstAbove(structure.docstarts, from - 1), firstAbove(structure.docstarts, to), region.docstarts, shift),
    sentenceTypes: structure.sentenceTypes.slice(0, firstReplaced).concat(types, structure.sentenceTypes.slice(afterReplaced)),
  };
  const typos = findLabelTypos(newLayout);
  const checker = new SentenceChecker(newLayout, typos);
  const findings = previous.findings;
  const before = firstFindingFrom(findings, from);
  const after = firstFindingFrom(findings, to + 1);
  const moved = shift === 0 ? findings.slice(after) : findings.slice(after).map((finding) => movedBy(finding, shift));
  const newFindings = findings.slice(0, before).concat(region.sentences.flatMap((tokens) => checker.check(tokens)), moved);
  const inserted = { from: firstReplaced, to: firstReplaced + region.sentences.length };
  recheckTypoSentences(newFindings, changedTypos(previous.typos, typos), newStructure, inserted, (first, last) => checker.check(tokensBetween(index, newLayout, first, last)));
  return {
    index,
    settings: previous.settings,
    layout: newLayout,
    findings: newFindings,
    structure: newStructure,
    tally,
    typos,
    delta: { from: firstReplaced, deleted: afterReplaced - firstReplaced, inserted: region.sentences.length, lineShift: shift },
  };
}

/** A line where no sentence is open in either text: the start of the sentence that `first` may extend, else `first`. */
function readingStart(previous: ConllAnalysis, first: number): number {
  const { sentenceStarts, sentenceEnds } = previous.structure;
  const before = firstAbove(sentenceStarts, first - 1) - 1;
  if (before < 0) return first;
  // A sentence goes on over comment lines, so an edit just after them may add to it.
  for (let line = sentenceEnds[before] + 1; line < first; line++) {
    if (lineKind(previous.index.line(line).text, previous.layout.separator) !== 'comment') return first;
  }
  return sentenceStarts[before];
}

/**
 * The sentences from line `from` until the first blank or -DOCSTART- line after `lastChanged` (where both texts
 * are between sentences again), or to the end; `to` is the last line read.
 */
function readSentences(index: LineIndex, layout: Layout, from: number, lastChanged: number): { sentences: TokenLine[][]; docstarts: number[]; to: number } {
  const sentences: TokenLine[][] = [];
  const docstarts: number[] = [];
  let settled = false;
  const reader = new SentenceReader(layout.separator, layout.tagSetting, {
    sentence: (tokens) => sentences.push(tokens),
    docstart: (line) => {
      docstarts.push(line.number);
      settled = line.number > lastChanged;
    },
    blank: (line) => (settled = line.number > lastChanged),
  });
  let line = from;
  while (!settled && line < index.lineCount) reader.push(index.line(line++));
  reader.end();
  return { sentences, docstarts, to: line - 1 };
}

/** Label typos whose entry changed, appeared or went: the sentences using them read differently. */
function changedTypos(before: Map<string, LabelTypo>, after: Map<string, LabelTypo>): Set<string> {
  const changed = new Set<string>();
  for (const [type, typo] of before) {
    const now = after.get(type);
    const same = now && now.intended === typo.intended && now.count === typo.count && now.intendedCount === typo.intendedCount && now.intendedFirstLine === typo.intendedFirstLine;
    if (!same) changed.add(type);
  }
  for (const type of after.keys()) if (!before.has(type)) changed.add(type);
  return changed;
}

/** Replaces, in place, the findings of sentences outside `inserted` that use a changed label typo. */
function recheckTypoSentences(
  findings: Finding[],
  changed: Set<string>,
  structure: Structure,
  inserted: { from: number; to: number },
  check: (first: number, last: number) => Finding[],
): void {
  if (changed.size === 0) return;
  const { sentenceStarts, sentenceEnds, sentenceTypes } = structure;
  for (let s = sentenceTypes.length - 1; s >= 0; s--) {
    if ((s >= inserted.from && s < inserted.to) || !sentenceTypes[s].some((type) => changed.has(type))) continue;
    const start = firstFindingFrom(findings, sentenceStarts[s]);
    findings.splice(start, firstFindingFrom(findings, sentenceEnds[s] + 1) - start, ...check(sentenceStarts[s], sentenceEnds[s]));
  }
}

/**
 * A finding of a sentence after the edit, on its new line. `related` stays: only label typos have it, pointing at
 * the first use of a label, and when that moves the typo's entry changes and its sentences are checked again.
 */
function movedBy(finding: Finding, shift: number): Finding {
  const fixes = finding.fixes.map((fix) => ({ ...fix, edits: fix.edits.map((edit) => ({ ...edit, line: edit.line + shift })) }));
  return { ...finding, line: finding.line + shift, fixes };
}

/** `values` with [from, to) replaced by `inserted` and the values after it moved by `shift`. */
function spliced(values: number[], from: number, to: number, inserted: number[], shift: number): number[] {
  const after = values.slice(to);
  return values.slice(0, from).concat(inserted, shift === 0 ? after : after.map((value) => value + shift));
}

/** The first finding on `line` or after it; findings are in line order. */
function firstFindingFrom(findings: readonly Finding[], line: number): number {
  return firstWhere(findings.length, (i) => findings[i].line >= line);
}
