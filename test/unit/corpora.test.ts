/** The checker on real corpora: clean files give no finding; planted errors are flagged exactly where planted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '@common/settings';
import { checkFile, checkText } from '../../server/src/core/checks/checker';
import { convertText } from '../../server/src/core/conll/convert';
import { EXCERPTS, SHARED_DATA, sharedCorpusFiles } from '../support/fixtures';
import { plantErrors, random } from '../support/plant';

const corpora = sharedCorpusFiles();
/** Tests on ../shared/data are reported as skipped, with this reason, where it is not there. */
const NO_CORPORA = corpora.length === 0 && `no corpora in ${SHARED_DATA} (set BIONER_DATA to their folder)`;

async function assertNoFinding(files: string[]): Promise<void> {
  for (const file of files) {
    const { findings } = await checkFile(file, DEFAULT_SETTINGS);
    assert.deepEqual(findings.slice(0, 3), [], file);
  }
}

test('no finding at all in the shipped corpus excerpts', () => assertNoFinding(EXCERPTS));

test('no finding at all in the corpus files of ../shared/data', { skip: NO_CORPORA }, () => assertNoFinding(corpora));

function flaggedLines(text: string): Map<number, string[]> {
  const flagged = new Map<number, string[]>();
  for (const f of checkText(text, DEFAULT_SETTINGS).findings) flagged.set(f.line, [...(flagged.get(f.line) ?? []), f.code]);
  return flagged;
}

function assertExactlyPlanted(planted: Map<number, string>, text: string, label: string): void {
  const flagged = flaggedLines(text);
  for (const [line, kind] of planted) assert.ok(flagged.get(line)?.includes(kind), `${label}: planted ${kind} on line ${line + 1} got ${flagged.get(line) ?? 'nothing'}`);
  const extra = [...flagged].filter(([line]) => !planted.has(line));
  assert.deepEqual(extra, [], `${label}: flagged lines where nothing was planted`);
}

function assertPlantedFlagged(files: string[], seed: number): void {
  for (const [i, file] of files.entries()) {
    const planted = plantErrors(readFileSync(file, 'utf8'), seed + i);
    assert.ok(planted.lines.size >= 19, `${file}: only ${planted.lines.size} errors planted`);
    assertExactlyPlanted(planted.lines, planted.text, path.basename(path.dirname(file)) + '/' + path.basename(file));
  }
}

test('IOB2 excerpts: every planted error is flagged with its code, and nothing else is', () => assertPlantedFlagged(EXCERPTS, 1000));

test('IOB2 dev splits of ../shared/data: every planted error is flagged with its code, and nothing else is', { skip: NO_CORPORA }, () =>
  assertPlantedFlagged(corpora.filter((f) => f.endsWith('dev.tsv')), 1000 + EXCERPTS.length),
);

const toIobes = (text: string) => convertText(text, DEFAULT_SETTINGS, 'IOBES').text;
const toIob2 = (text: string) => convertText(text, DEFAULT_SETTINGS, 'IOB2').text;

test('IOBES files: planted invalid starts, unclosed entities and IOB2 tags are flagged, nothing else', () => {
  for (const file of EXCERPTS) {
    const iobes = toIobes(readFileSync(file, 'utf8'));
    assert.equal(checkText(iobes, DEFAULT_SETTINGS).layout.scheme, 'IOBES');
    assert.deepEqual(flaggedLines(iobes).size, 0);
    const lines = iobes.split('\n');
    const rand = random(7);
    const planted = new Map<number, string>();
    const tagAt = (i: number) => lines[i]?.split('\t')[1] ?? '';
    // Each plant: [kind, condition on the tag and its neighbours, replacement prefix].
    const plants: [string, (i: number) => boolean, string][] = [
      ['unclosed-entity', (i) => tagAt(i).startsWith('E-'), 'I'],
      ['unclosed-entity', (i) => tagAt(i).startsWith('S-') && !tagAt(i + 1).startsWith('I-') && !tagAt(i + 1).startsWith('E-'), 'B'],
      ['invalid-start', (i) => tagAt(i).startsWith('B-') && tagAt(i + 1).startsWith('I-'), 'I'],
      ['mixed-scheme', (i) => tagAt(i).startsWith('S-'), 'U'],
    ];
    for (const [kind, fits, prefix] of plants) {
      for (let n = 0, tries = 0; n < 3 && tries < 50000; tries++) {
        const i = Math.floor(rand() * lines.length);
        if (!fits(i) || [...planted.keys()].some((p) => Math.abs(p - i) < 4)) continue;
        const [token, tag] = lines[i].split('\t');
        lines[i] = `${token}\t${prefix}${tag.slice(1)}`;
        planted.set(i, kind);
        n++;
      }
    }
    assert.equal(planted.size, 12);
    assertExactlyPlanted(planted, lines.join('\n'), `${path.basename(file)} as IOBES`);
  }
});

test('IOB2 → IOBES → IOB2 gives back the original file byte for byte', () => {
  for (const file of EXCERPTS) {
    const original = readFileSync(file, 'utf8');
    const back = toIob2(toIobes(original));
    assert.equal(back, original);
  }
});
