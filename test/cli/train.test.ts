/** `bioner train` runs the Python trainer end to end (needs Debian's python3-torch, see README). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXCERPTS, ROOT } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-train-'));
const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', timeout: 240_000 });

test('train prints progress and leaves a model folder the engine can load', () => {
  const out = path.join(dir, 'model');
  const run = bioner('train', '--train', EXCERPTS[0], '--dev', EXCERPTS[0], '--out', out, '--epochs', '2', '--json');
  assert.equal(run.status, 0, run.stderr.slice(-2000));
  const events = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l).event);
  for (const event of ['start', 'epoch', 'export', 'done']) assert.ok(events.includes(event), `no ${event} event in ${events}`);
  for (const file of ['config.json', 'tokenizer.json', 'onnx/model.onnx', 'README.md']) assert.ok(existsSync(path.join(out, file)), `${file} missing`);
  const annotated = bioner('annotate', EXCERPTS[0], '--model', out);
  assert.equal(annotated.status, 0, annotated.stderr);
  assert.equal(annotated.stdout.split('\n').length, readFileSync(EXCERPTS[0], 'utf8').split('\n').length);
});

test('train explains a missing Python and bad input', () => {
  const noPython = bioner('train', '--train', EXCERPTS[0], '--dev', EXCERPTS[0], '--out', path.join(dir, 'x'), '--python', '/nonexistent/python3');
  assert.equal(noPython.status, 2);
  assert.match(noPython.stderr, /Python was not found at '\/nonexistent\/python3'.*bioner\.pythonPath/);
  const empty = path.join(dir, 'empty.bio');
  writeFileSync(empty, '');
  const bad = bioner('train', '--train', empty, '--dev', EXCERPTS[0], '--out', path.join(dir, 'y'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /training failed: .*empty/i);
  assert.ok(!existsSync(path.join(dir, 'y')), 'a failed run must leave no model folder');
});
