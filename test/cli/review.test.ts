/** `bioner review`: likely label errors of BIO files, as JSON lines and as a table, with the shipped test model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bio, bioner, EXCERPTS, ROOT, TEST_MODEL } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-review-cli-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

// Lines 7-8: "breast cancer" left O, which the test model tags as a Disease; the other sentences are as it reads them.
const planted = write(
  'planted.bio',
  bio(
    ...['Patients O', 'with O', 'Duchenne B-Disease', 'muscular I-Disease', 'dystrophy I-Disease', 'and O', 'breast O', 'cancer O', 'were O', 'studied O', '. O'],
    '',
    ...['The O', 'cisplatin B-Chemical', '- O', 'induced O', 'nephrotoxicity O', 'was O', 'severe O', '. O'],
    '',
    ...['No O', 'abnormality O', 'was O', 'found O', '. O'],
  ),
);

test('review --json gives one line per suspected error with its lines, words, gold and the model tags', () => {
  const result = bioner('review', planted, '--json', '--model', TEST_MODEL);
  assert.equal(result.status, 0, result.stderr);
  const items = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(items.length, 1);
  const [item] = items;
  assert.deepEqual(
    { ...item, score: undefined, sentenceScore: undefined },
    { file: planted, startLine: 7, endLine: 8, words: ['breast', 'cancer'], gold: ['O', 'O'], suggestion: ['B-Disease', 'I-Disease'], score: undefined, sentenceScore: undefined },
  );
  assert.ok(item.score < 0.1 && item.sentenceScore <= item.score, JSON.stringify(item));
  // The file's Chemical is not the test model's type: said, and not reviewed.
  assert.match(result.stderr, /planted\.bio: Chemical not reviewed: the model does not predict it/);
});

test('review ranks the items of several files together, as a table, and --limit cuts the list', () => {
  const excerpt = path.join(path.dirname(TEST_MODEL), 'corpus', 'BC5CDR-test-300.tsv');
  const all = bioner('review', planted, excerpt, '--model', TEST_MODEL, '--scoring', 'normalized-margin');
  assert.equal(all.status, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.match(lines[0], /^ *rank +score +sentence +place +gold → model$/);
  assert.match(all.stdout, /planted\.bio:7-8 +breast cancer → \[breast cancer\]Disease$/m);
  const summary = /^(\d+) suspected label error\(s\) in (\d+) of 303 sentences$/m.exec(lines[lines.length - 1]);
  assert.ok(summary && Number(summary[1]) === lines.length - 2, lines[lines.length - 1]);
  const scores = lines.slice(1, -1).map((line) => Number(line.trim().split(/ +/)[1]));
  assert.deepEqual(scores, [...scores].sort((a, b) => a - b), 'scores ascend');
  const limited = bioner('review', planted, excerpt, '--model', TEST_MODEL, '--scoring', 'normalized-margin', '--limit', '3', '--json');
  assert.deepEqual(
    limited.stdout.trim().split('\n').map((line) => JSON.parse(line).startLine),
    lines.slice(1, 4).map((line) => Number(/:(\d+)/.exec(line)![1])),
  );
});

test('bad usage and files the model cannot review are clear errors with exit code 2', () => {
  const chemicals = write('chemicals.bio', bio('Aspirin B-Chemical', 'helps O', '. O'));
  const cases: [string[], RegExp][] = [
    [[], /review takes one or more BIO files/],
    [[planted, '--scoring', 'vibes'], /unknown scoring 'vibes' \(self-confidence or normalized-margin\)/],
    [[planted, '--limit', '0'], /--limit takes a positive integer, not '0'/],
    [[planted, '--types', 'Gene'], /--types: the model does not predict Gene; it predicts Disease/],
    [[chemicals], /chemicals\.bio: the model predicts none of its entity types \(Chemical\); it predicts Disease/],
    [[path.join(dir, 'missing.bio')], /missing\.bio/],
  ];
  for (const [args, message] of cases) {
    const result = bioner('review', ...args, '--model', TEST_MODEL);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('review --folds 2 trains a model per fold on the file itself and finds a Chemical dropped where it is tagged elsewhere', { timeout: 600_000 }, () => {
  // The 12th of the excerpt's 17 'cocaine' Chemicals left O: the models of the folds learn it from the others.
  const lines = readFileSync(EXCERPTS[0], 'utf8').split('\n');
  const at = lines.map((line, i) => (line === 'cocaine\tB-Chemical' ? i : -1)).filter((i) => i >= 0)[11];
  lines[at] = 'cocaine\tO';
  const noisy = write('noisy-excerpt.tsv', lines.join('\n'));
  const run = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'review', noisy, '--folds', '2', '--fold-minutes', '0.75', '--json'], { encoding: 'utf8', timeout: 540_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /review: fold 1\/2: training on 150 sentences/);
  assert.match(run.stderr, /review: fold 2\/2: scoring its 150 held-out sentences/);
  const items = run.stdout.trim().split('\n').map((line) => JSON.parse(line));
  const found = items.find((item) => item.startLine === at + 1);
  assert.ok(found, `no item on line ${at + 1}; ${items.length} items`);
  assert.deepEqual([found.words, found.gold, found.suggestion], [['cocaine'], ['O'], ['B-Chemical']]);
});

test('Ctrl-C during a fold stops its training, removes the folds\' folder and exits 130', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(path.join(dir, 'tmp-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'review', EXCERPTS[0], '--folds', '2', '--fold-minutes', '10'], { env: { ...process.env, TMPDIR: tmp } });
  let stderr = '';
  const training = new Promise<void>((resolve) =>
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (stderr.includes('training on')) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await training;
  assert.equal(readdirSync(tmp).length, 1, 'the folds\' folder while training');
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /bioner: review cancelled/);
  assert.deepEqual(readdirSync(tmp), []);
});

test('--folds takes K >= 2 and no model of its own', () => {
  const cases: [string[], RegExp][] = [
    [['--folds', '1'], /--folds takes an integer of at least 2, not '1'/],
    [['--folds', '2', '--model', TEST_MODEL], /--model is for a model run now; --folds trains its own models/],
    [['--fold-minutes', '3'], /--fold-minutes goes with --folds K/],
    [['--folds', '2', '--types', 'Gene'], /--types: the files do not annotate Gene; they annotate Disease, Chemical/],
  ];
  for (const [args, message] of cases) {
    const result = bioner('review', planted, ...args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});
