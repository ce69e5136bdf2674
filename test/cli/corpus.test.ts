/** `bioner check` on folders with the corpus checks, related locations in every format, and `bioner stats`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bio, ROOT } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-corpus-cli-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
};
const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });

const sentence = ['Aspirin B-Chemical', 'causes O', 'gastric B-Disease', 'bleeding I-Disease', '. O'];
const train = write('corpus/train.tsv', bio('Mice O', 'were O', 'given O', 'aspirin B-Chemical', '', ...sentence));
const testFile = write('corpus/test.tsv', bio(...sentence, '', 'BRCA1 B-Gene', 'is O', 'mutated O', 'here O', '', ...sentence));
write('corpus/notes.tsv', 'term\tcount\naspirin\t3\n');

test('check DIR finds the BIO files, adds the corpus findings in line order and prints related places under them', () => {
  const result = bioner('check', path.join(dir, 'corpus'));
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 6), [
    `${testFile}:1:1: warning split-leak: Sentence also in train.tsv, with the same tags`,
    `    ${train}:6:1: the same sentence, the same tags`,
    `${testFile}:7:7: warning type-missing-from-train: Entity type 'Gene' (in 1 sentence(s) of this file) occurs in no train file (train.tsv): a model cannot learn it`,
    `${testFile}:12:1: warning split-leak: Sentence also in train.tsv, with the same tags`,
    `    ${train}:6:1: the same sentence, the same tags`,
    `${testFile}:12:1: information duplicate-sentence: Sentence repeats the one on line 1 of this file, with the same tags`,
  ]);
  assert.match(result.stdout, /^2 file\(s\) checked: 0 error\(s\), 4 warning\(s\), 1 other$/m, 'notes.tsv is not BIO; train.tsv has its leak too');
  assert.equal(bioner('check', train, '--corpus-scope', 'file').stdout.trim(), '1 file(s) checked: 0 error(s), 0 warning(s), 0 other');
});

test('check --format json and sarif carry the related locations, in the other file where they are', () => {
  const json = JSON.parse(bioner('check', testFile, train, '--format', 'json').stdout);
  assert.deepEqual(json.files[0].findings[0].related, [{ path: train, line: 6, column: 1, endColumn: 8, message: 'the same sentence, the same tags' }]);
  assert.equal(json.files[0].findings[3].related[0].path, testFile);
  const sarif = JSON.parse(bioner('check', testFile, train, '--format', 'sarif').stdout);
  const [leak] = sarif.runs[0].results;
  assert.equal(leak.ruleId, 'split-leak');
  assert.deepEqual(leak.relatedLocations, [
    {
      id: 0,
      physicalLocation: { artifactLocation: { uri: train }, region: { startLine: 6, startColumn: 1, endLine: 6, endColumn: 8 } },
      message: { text: 'the same sentence, the same tags' },
    },
  ]);
  assert.ok(sarif.runs[0].tool.driver.rules.some((r: { id: string }) => r.id === 'type-missing-from-train'));
});

test('check with a folder holding no BIO file says so and exits 2', () => {
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const result = bioner('check', empty);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /no BIO file in .*empty/);
});

test('stats --json gives per split sizes, leakage and memorization; the text form prints the same tables', () => {
  const result = bioner('stats', path.join(dir, 'corpus'), '--json');
  assert.equal(result.status, 0, result.stderr);
  const [corpus] = JSON.parse(result.stdout).corpora;
  assert.equal(corpus.corpus, path.join(dir, 'corpus'));
  assert.deepEqual(
    corpus.splits.map((s: { split: string; sentences: number; tokens: number; entities: object }) => [s.split, s.sentences, s.tokens, s.entities]),
    [
      ['train', 2, 9, { Chemical: 2, Disease: 1 }],
      ['test', 3, 14, { Chemical: 2, Disease: 2, Gene: 1 }],
    ],
  );
  assert.deepEqual(corpus.leakage, [{ split: 'test', sentences: 3, inTrain: 2, share: 2 / 3, differentTags: 0 }]);
  assert.deepEqual(corpus.memorization, [{ split: 'test', mentions: 5, seenWithType: 4, seenWithTypeShare: 0.8, unseen: 1, unseenShare: 0.2 }]);
  const text = bioner('stats', path.join(dir, 'corpus')).stdout;
  assert.match(text, /^test\s+1\s+3\s+14\s+5\s+3\s+2\s+0$/m);
  assert.match(text, /^test\s+3\s+2\s+66\.7%\s+0$/m);
  assert.match(text, /^Gene\s+0\s+1$/m);
});
