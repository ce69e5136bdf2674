/** Chosen entity types with the embedded default model: `--types`, the prose default, and the default output per corpus. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DEFAULT_ENTITY_TYPES } from '@common/settings';
import { EXCERPTS, ROOT } from '../support/fixtures';

const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
const NOTE = path.join(ROOT, 'examples', 'clinical-note.md');

function entityTypes(...args: string[]): Map<string, string> {
  const run = bioner('annotate', NOTE, '--format', 'jsonl', ...args);
  assert.equal(run.status, 0, run.stderr);
  const found = new Map<string, string>();
  for (const line of run.stdout.trim().split('\n')) for (const e of JSON.parse(line).entities) found.set(e.text, e.type);
  return found;
}

test('prose shows the default types: "patient" is no Species unless every type is asked for', () => {
  const shown = entityTypes();
  assert.equal(shown.get('cisplatin'), 'Chemical');
  assert.ok([...shown.values()].every((type) => DEFAULT_ENTITY_TYPES.includes(type)), [...shown.values()].join(', '));
  assert.equal(shown.get('patient'), undefined);
  assert.equal(entityTypes('--types', '*').get('patient'), 'Species');
  assert.deepEqual(new Set(entityTypes('--types', 'Disease').values()), new Set(['Disease']));
});

test('--types naming a type the model does not predict is a usage error that lists the types it does', () => {
  const run = bioner('annotate', NOTE, '--types', 'Chemical,Drug');
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--types: the model does not predict Drug; it predicts Chemical, Disease, GENE/);
});

/** strict F1 overall from `bioner eval --json`. */
function f1(gold: string, ...args: string[]): number {
  const run = bioner('eval', gold, '--json', ...args);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout).strict.f1;
}

// The default output merges every default head; restricted to a corpus's types it must keep that head's own answers.
for (const [gold, head] of [[EXCERPTS[0], 'BC5CDR'], [EXCERPTS[1], 'JNLPBA']]) {
  test(`eval of the default output on ${path.basename(gold)} scores what the ${head} head scores alone`, () => {
    const alone = f1(gold, '--heads', head);
    assert.ok(alone > 0.5, `${head} alone: ${alone}`);
    assert.equal(f1(gold), alone);
  });
}
