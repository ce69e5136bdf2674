/** The incremental re-check after random edits equals a full analysis of the edited text, and its delta is true. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS } from '@common/settings';
import { analyzeConll, type ConllAnalysis } from '../../server/src/core/conll/analysis';
import { convertText } from '../../server/src/core/conll/convert';
import { updateConll } from '../../server/src/core/conll/incremental';
import { LineIndex } from '../../server/src/core/text/lines';
import { composeChanges, type TextChange } from '../../server/src/core/text/textChange';
import { EXCERPTS } from '../support/fixtures';
import { caseSeed, fuzzConfig, Random, randomLine, randomPieces } from '../support/random';

const SETTINGS = { tagColumn: DEFAULT_SETTINGS.tagColumn, scheme: DEFAULT_SETTINGS.scheme };
const { cases, seed } = fuzzConfig(3);
/** Over SEPARATOR_SAMPLE lines, so that edits both inside and past the separator's sample occur. */
const LINES = 1300;

const excerpt = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, LINES).join('\n') + '\n';
const [BC5CDR, JNLPBA] = EXCERPTS.map(excerpt);

/** Adds -DOCSTART- blocks, comments between and inside sentences, and two rare misspellings of a common label. */
function withStructure(text: string, rng: Random): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (rng.chance(0.01)) out.push('-DOCSTART-\tO', '');
    if (rng.chance(0.02)) out.push('# a comment');
    out.push(rng.chance(0.002) ? line.replace(/-Chemical$/, '-Chemcal') : line);
  }
  return out.join('\n');
}

const DOCUMENTS: { name: string; text: (rng: Random) => string }[] = [
  { name: 'BC5CDR', text: () => BC5CDR },
  { name: 'CRLF', text: () => JNLPBA.replace(/\n/g, '\r\n') },
  { name: 'docstarts and comments', text: (rng) => '\uFEFF' + withStructure(BC5CDR, rng) },
  { name: 'IOBES', text: () => convertText(JNLPBA, SETTINGS, 'IOBES').text },
  { name: 'space-separated', text: () => BC5CDR.replace(/\t/g, ' ') },
  { name: 'tiny', text: (rng) => Array.from({ length: 30 }, () => randomLine(rng)).join('\n') },
];

/** A random edit of the kinds typing makes, as the change and the text it makes. */
function randomEdit(rng: Random, text: string): { change: TextChange; text: string } {
  const index = new LineIndex(text);
  const lineNumber = rng.int(index.lineCount);
  const line = index.line(lineNumber);
  const at = index.starts[lineNumber] + line.offset;
  const lineEnd = at + line.text.length;
  const breakText = text.includes('\r\n') ? '\r\n' : '\n';
  const tagAt = Math.max(line.text.lastIndexOf('\t'), line.text.lastIndexOf(' ')) + 1;
  const replace = (start: number, end: number, inserted: string) => ({
    change: { start, end, length: inserted.length },
    text: text.slice(0, start) + inserted + text.slice(end),
  });
  const nextBreak = () => (lineNumber + 1 < index.lineCount ? index.starts[lineNumber + 1] : text.length);
  switch (rng.int(12)) {
    case 0: // a tag's letter
      return replace(at + tagAt, Math.min(at + tagAt + 1, lineEnd), rng.pick(['B', 'I', 'O', 'E', 'S', 'b']));
    case 1: // B-X to I-X and back
      return line.text.slice(tagAt).startsWith('B-') ? replace(at + tagAt, at + tagAt + 1, 'I') : replace(at + tagAt, Math.min(at + tagAt + 1, lineEnd), 'B');
    case 2: {
      // a character typed, replaced or deleted
      const p = at + rng.int(line.text.length + 1);
      const end = rng.chance(0.5) ? p : Math.min(p + 1, lineEnd);
      return replace(p, end, rng.chance(0.3) ? '' : rng.pick(['x', 'é', '\u200b', ' ', '\t']));
    }
    case 3: // a line deleted
      return replace(index.starts[lineNumber], nextBreak(), '');
    case 4: // a line inserted, a copy or noise
      return replace(index.starts[lineNumber], index.starts[lineNumber], (rng.chance(0.5) ? line.text : randomLine(rng)) + breakText);
    case 5: // a sentence split by a blank line
      return replace(index.starts[lineNumber], index.starts[lineNumber], breakText);
    case 6: // a blank line removed: sentences merge
      return line.text.trim() === '' ? replace(index.starts[lineNumber], nextBreak(), '') : replace(at, at, breakText);
    case 7: // a new label typed, or a label misspelled
      return replace(at + tagAt, lineEnd, rng.pick(['B-Chemcal', 'I-Chemical', 'B-Gene', 'B-NewLabel', 'B-protein', 'O', 'B-', 'I-DNA']));
    case 8: // at the start or the end of the file
      return rng.chance(0.5) ? replace(0, rng.int(Math.min(3, text.length) + 1), rng.pick(['', 'x\tO\n', '\n', '-DOCSTART-\tO\n\n', '\uFEFF'])) : replace(text.length - rng.int(Math.min(3, text.length) + 1), text.length, rng.pick(['', 'x\tO', '\n', 'y\tB-X\n']));
    case 9: // a span of a few lines replaced
      return replace(index.starts[lineNumber], Math.min(text.length, index.starts[Math.min(index.lineCount - 1, lineNumber + rng.int(5))] + rng.int(4)), rng.chance(0.5) ? '' : randomLine(rng));
    case 10: {
      // awkward pieces: line breaks, separators, markers
      const p = at + rng.int(line.text.length + 1);
      return replace(p, p, randomPieces(rng, rng.between(1, 3)));
    }
    default: // inside a \r\n, or a lone \r
      return replace(Math.max(0, index.starts[lineNumber] - 1), index.starts[lineNumber], rng.pick(['', '\r', '\n', '\r\n', '\n\n']));
  }
}

/** The parts of an analysis a full analysis must reproduce, with maps as entry lists (their order matters). */
function comparable(analysis: ConllAnalysis) {
  const { layout, findings, structure, typos, tally, index } = analysis;
  return { layout: { ...layout, typeCounts: [...layout.typeCounts] }, findings, structure, typos: [...typos], tally, starts: [...index.starts] };
}

/** Sentences outside the delta are the same sentences: before it on the same lines, after it moved by lineShift. */
function assertDelta(before: ConllAnalysis, after: ConllAnalysis, what: string): void {
  const { delta } = after;
  if (!delta) return;
  const old = before.structure;
  const now = after.structure;
  assert.equal(delta.lineShift, after.index.lineCount - before.index.lineCount, `${what}: lineShift`);
  assert.equal(now.sentenceStarts.length, old.sentenceStarts.length - delta.deleted + delta.inserted, `${what}: sentence count`);
  const same = (s: number, moved: number, shift: number) => {
    assert.equal(now.sentenceStarts[moved], old.sentenceStarts[s] + shift, `${what}: sentence ${s} start`);
    assert.equal(now.sentenceEnds[moved], old.sentenceEnds[s] + shift, `${what}: sentence ${s} end`);
    for (let line = old.sentenceStarts[s]; line <= old.sentenceEnds[s]; line++) {
      assert.equal(after.index.line(line + shift).text, before.index.line(line).text, `${what}: sentence ${s} line ${line}`);
    }
  };
  for (let s = 0; s < delta.from; s++) same(s, s, 0);
  for (let s = delta.from + delta.deleted; s < old.sentenceStarts.length; s++) same(s, s - delta.deleted + delta.inserted, delta.lineShift);
}

for (const document of DOCUMENTS) {
  test(`incremental re-checks equal full analyses: ${document.name}`, async () => {
    let incremental = 0;
    let steps = 0;
    for (let c = 0; c < cases; c++) {
      const rng = new Random(caseSeed(seed, document.name, c));
      let text = document.text(rng);
      let analysis = await analyzeConll(text, SETTINGS);
      for (let step = 0; step < 40; step++) {
        const what = `${document.name} case ${c} step ${step} (BIONER_FUZZ_SEED=${seed})`;
        let edit = randomEdit(rng, text);
        // Two edits of one version, as multi-cursor typing sends them, reach the analysis as one change.
        if (rng.chance(0.2)) {
          const second = randomEdit(rng, edit.text);
          edit = { change: composeChanges(edit.change, second.change), text: second.text };
        }
        const updated = await updateConll(analysis, edit.text, edit.change, SETTINGS);
        const full = await analyzeConll(edit.text, SETTINGS);
        assert.deepEqual(comparable(updated), comparable(full), `${what}: differs from a full analysis`);
        assertDelta(analysis, updated, what);
        if (updated.delta) incremental++;
        steps++;
        [text, analysis] = [edit.text, updated];
      }
    }
    // Most edits must take the incremental path, or this test checks only the fallback.
    if (document.name !== 'tiny') assert.ok(incremental > steps * 0.8, `${document.name}: only ${incremental} of ${steps} edits were incremental`);
  });
}
