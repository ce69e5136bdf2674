import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type BionerSettings } from '@common/settings';
import { checkText } from '../../server/src/core/checks/checker';
import { bio } from '../support/fixtures';

/** [1-based line, code] of every finding. */
function flagged(text: string, settings: Partial<BionerSettings> = {}): [number, string][] {
  return checkText(text, { ...DEFAULT_SETTINGS, ...settings }).findings.map((f) => [f.line + 1, f.code]);
}

function fixesAt(text: string, line: number): string[] {
  return checkText(text, DEFAULT_SETTINGS)
    .findings.filter((f) => f.line === line - 1)
    .flatMap((f) => f.fixes.map((x) => x.edits[0].newText));
}

const CLEAN = bio('Aspirin B-Chemical', 'induced O', 'renal B-Disease', 'failure I-Disease', 'failure B-Disease', '. O', '', 'No O', 'change O', '. O');

test('a clean IOB2 file has no findings, including B-X right after I-X', () => {
  assert.deepEqual(flagged(CLEAN), []);
  assert.equal(checkText(CLEAN, DEFAULT_SETTINGS).layout.scheme, 'IOB2');
});

test('column count: lines with another number of columns than most lines', () => {
  const text = bio('a O', 'b O', 'c O', 'd O') + 'e\tO\tX\nf\n';
  assert.deepEqual(flagged(text), [
    [5, 'column-count'],
    [6, 'column-count'],
  ]);
});

test('empty and malformed tags, each with its fix', () => {
  const text = bio('a O', 'b O', 'c O') + 'd\t\n' + bio('e B_Chemical', 'f b-Chemical', 'g X-Chemical', 'h B-', 'i O', 'j B-Chemical');
  assert.deepEqual(flagged(text), [
    [4, 'empty-tag'],
    [5, 'malformed-tag'],
    [6, 'malformed-tag'],
    [7, 'malformed-tag'],
    [8, 'malformed-tag'],
  ]);
  assert.deepEqual(fixesAt(text, 5), ['B-Chemical']);
  assert.deepEqual(fixesAt(text, 6), ['B-Chemical']);
  assert.deepEqual(fixesAt(text, 7), []);
});

test('IOB2: an I- tag that starts an entity, and a type switch inside an entity', () => {
  const text = bio('a O', 'b I-Disease', 'c I-Disease', 'd O', 'e B-Chemical', 'f I-Disease', 'g I-Chemical', 'h O', 'i B-Chemical');
  assert.deepEqual(flagged(text), [
    [2, 'invalid-start'],
    [6, 'type-switch'],
  ]);
  assert.deepEqual(fixesAt(text, 2), ['B-Disease']);
  assert.deepEqual(fixesAt(text, 6), ['I-Chemical', 'B-Disease']);
  // An I- at the start of a sentence starts an entity too.
  assert.deepEqual(flagged(bio('a B-X', 'b O', '', 'c I-X')), [[4, 'invalid-start']]);
});

test('IOB1 files are detected and their I- starts accepted', () => {
  const text = bio('a I-X', 'b I-X', 'c B-X', 'd O', 'e I-Y', 'f O', 'g I-X');
  assert.equal(checkText(text, DEFAULT_SETTINGS).layout.scheme, 'IOB1');
  assert.deepEqual(flagged(text), []);
});

test('IOBES and BILOU: invalid starts and entities left open', () => {
  const iobes = bio('a B-X', 'b E-X', 'c S-Y', 'd O', 'e B-X', 'f I-X', 'g E-X', 'h O', 'i E-X', 'j O', 'k B-X', 'l O', 'm I-X', 'n E-X', 'o O', 'p B-X', 'q I-X');
  assert.equal(checkText(iobes, DEFAULT_SETTINGS).layout.scheme, 'IOBES');
  assert.deepEqual(flagged(iobes), [
    [9, 'invalid-start'],
    [11, 'unclosed-entity'],
    [13, 'invalid-start'],
    [17, 'unclosed-entity'],
  ]);
  assert.deepEqual(fixesAt(iobes, 9), ['S-X']);
  assert.deepEqual(fixesAt(iobes, 11), ['S-X']);
  assert.deepEqual(fixesAt(iobes, 13), ['B-X']);
  assert.deepEqual(fixesAt(iobes, 17), ['E-X']);
  const bilou = bio('a B-X', 'b L-X', 'c U-Y', 'd O', 'e B-X', 'f I-X', 'g L-X', 'h O', 'i L-X', 'j O', 'k U-X');
  assert.equal(checkText(bilou, DEFAULT_SETTINGS).layout.scheme, 'BILOU');
  assert.deepEqual(flagged(bilou), [[9, 'invalid-start']]);
  assert.deepEqual(fixesAt(bilou, 9), ['U-X']);
});

test('tags of another scheme are flagged once, with the equivalent tag as the fix', () => {
  const text = bio('a B-X', 'b I-X', 'c O', 'd S-X', 'e O', 'f B-X', 'g E-X', 'h O', 'i B-X', 'j O', 'k B-Y', 'l I-Y');
  assert.equal(checkText(text, DEFAULT_SETTINGS).layout.scheme, 'IOB2');
  assert.deepEqual(flagged(text), [
    [4, 'mixed-scheme'],
    [7, 'mixed-scheme'],
  ]);
  assert.deepEqual(fixesAt(text, 4), ['B-X']);
  assert.deepEqual(fixesAt(text, 7), ['I-X']);
});

test('label typos: a label seen once beside a frequent label one or two edits away', () => {
  const rows = Array.from({ length: 30 }, (_, i) => `w${i} ${i % 3 === 0 ? 'B-Chemical' : 'O'}`);
  const text = bio(...rows, 'x B-Chemcial', 'y O', 'z B-Disease', 'zz O');
  assert.deepEqual(flagged(text), [[31, 'label-typo']]);
  assert.deepEqual(fixesAt(text, 31), ['B-Chemical']);
  // DNA vs RNA: close spellings but both frequent, so neither is a typo.
  const dnaRna = bio(...Array.from({ length: 40 }, (_, i) => `w${i} ${i % 4 === 0 ? 'B-RNA' : i % 2 === 0 ? 'B-DNA' : 'O'}`));
  assert.deepEqual(flagged(dnaRna), []);
});

test('a typo in the first tag of an entity does not also make its I- tags type switches', () => {
  const rows = Array.from({ length: 30 }, (_, i) => `w${i} ${i % 3 === 0 ? 'B-Disease' : 'O'}`);
  assert.deepEqual(flagged(bio(...rows, 'x B-Diseas', 'y I-Disease', 'z I-Disease', 'zz O')), [[31, 'label-typo']]);
});

test('invisible characters and whitespace inside tokens', () => {
  const text = bio('a O', 'b O', 'c O') + 'as\u200Bpirin\tB-X\n5\u00A0mg\tO\nbell\u0007\tO\nfoo bar\tO\ntrail \tO\nok\tO \n';
  assert.deepEqual(flagged(text), [
    [4, 'invisible-character'],
    [5, 'invisible-character'],
    [6, 'invisible-character'],
    [7, 'whitespace-in-token'],
    [8, 'whitespace-in-token'],
    [9, 'whitespace-in-token'],
  ]);
  const finding = checkText(text, DEFAULT_SETTINGS).findings[0];
  assert.deepEqual([finding.start, finding.end], [2, 3]);
  assert.match(finding.message, /U\+200B/);
});

test('untyped tags, comments, -DOCSTART-, CRLF and a BOM are all understood', () => {
  const text = '\uFEFF# sent_id = 1\r\n-DOCSTART-\tO\r\n\r\nThe\tO\r\n#\tO\r\np53\tB\r\nprotein\tI\r\n\r\n# comment line\r\nbinds\tO\r\n';
  const result = checkText(text, DEFAULT_SETTINGS);
  assert.deepEqual(result.findings, []);
  assert.deepEqual(result.structure.docstarts, [1]);
  assert.deepEqual(result.structure.sentenceStarts, [3, 9]);
  // Positions on the first line count the BOM, as the editor does.
  const bad = checkText('\uFEFFa\tB_X\nb\tO\n', DEFAULT_SETTINGS).findings[0];
  assert.deepEqual([bad.line, bad.start, bad.end], [0, 3, 6]);
});

test('space-separated files with several columns, and a configurable tag column', () => {
  const conll2003 = 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\ncall NN I-NP I-MISC\n. . O O\n\nPeter NNP B-NP I-PER\n';
  assert.deepEqual(flagged(conll2003), [[7, 'invalid-start']]);
  // The chunk column as the tag column: I-NP after B-NP is fine, B-VP after B-NP too.
  assert.deepEqual(flagged(conll2003, { tagColumn: 2 }), []);
  assert.deepEqual(flagged('EU NNP B-NP B-ORG\nrejects VBZ O\nit PRP B-NP O\n'), [[2, 'column-count']]);
});

test('a severity setting of off hides nothing in the checker: the CLI and server filter by severity', () => {
  assert.deepEqual(flagged(bio('a O', 'b I-X'), { severity: { ...DEFAULT_SETTINGS.severity, 'invalid-start': 'off' } }), [[2, 'invalid-start']]);
});

test('messages and fix titles quote long tokens and tags cut short', { timeout: 60_000 }, () => {
  // A megabyte column with a space every few characters made each of its 350,000 whitespace findings a megabyte long.
  const column = 'ab '.repeat(1 << 18);
  const longType = 'X'.repeat(1 << 16);
  const text = bio('a O', 'b O', 'c O') + `w\t${column}\nx\tB-${longType}\ny\tI-Y\nz\t${column.replace(/ /g, '')}\n`;
  const { findings } = checkText(text, DEFAULT_SETTINGS);
  assert.ok(findings.filter((f) => f.code === 'whitespace-in-token').length > 100_000);
  assert.deepEqual(new Set(findings.map((f) => f.code)), new Set(['whitespace-in-token', 'type-switch', 'malformed-tag']));
  for (const f of findings) {
    assert.ok(f.message.length < 200, `${f.code}: message of ${f.message.length} characters`);
    for (const fix of f.fixes) assert.ok(fix.title.length < 200, `${f.code}: fix title of ${fix.title.length} characters`);
  }
  const typeSwitch = findings.find((f) => f.code === 'type-switch')!;
  assert.match(typeSwitch.message, /^'I-Y' switches type inside a 'X{60}…' entity$/);
  // The fix itself still writes the whole tag.
  assert.equal(typeSwitch.fixes[0].edits[0].newText, `I-${longType}`);
});
