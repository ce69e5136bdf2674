/** The `bioner` CLI as a user or a CI job runs it: exit codes, formats, conversion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bio, EXCERPTS, ROOT } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-cli-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });

const errors = write('errors.bio', bio('a O', 'b I-Disease', 'c O', 'd B_Disease', 'e O'));
const warnings = write('warnings.bio', bio('a O', 'b\u200b O', 'c B-Chemical'));

test('check exits 0 on clean files and 1 when an error-level finding exists', () => {
  const clean = bioner('check', EXCERPTS[0]);
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /1 file\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
  const bad = bioner('check', errors, warnings);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, new RegExp(`^${errors.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:3: error invalid-start: `, 'm'));
  assert.match(bad.stdout, /warnings\.bio:2:2: warning invisible-character: .*U\+200B/);
  assert.equal(bioner('check', warnings).status, 0, 'warnings alone do not fail');
});

test('check --format json lists findings with 1-based positions and fixes', () => {
  const result = bioner('check', errors, '--format', 'json');
  const report = JSON.parse(result.stdout);
  assert.deepEqual(
    report.files[0].findings.map((f: { code: string; line: number; column: number; fixes: { edits: { newText: string }[] }[] }) => [f.code, f.line, f.column, f.fixes[0]?.edits[0].newText]),
    [
      ['invalid-start', 2, 3, 'B-Disease'],
      ['malformed-tag', 4, 3, 'B-Disease'],
    ],
  );
});

test('check --format sarif writes SARIF 2.1.0 with rules, regions and fixes', () => {
  const output = path.join(dir, 'out.sarif');
  const result = bioner('check', errors, '--format=sarif', '--output', output);
  assert.equal(result.status, 1);
  const sarif = JSON.parse(readFileSync(output, 'utf8'));
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  assert.equal(run.tool.driver.name, 'bioner');
  const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
  assert.ok(ruleIds.includes('invalid-start') && ruleIds.includes('label-typo'));
  const [first] = run.results;
  assert.equal(first.ruleId, 'invalid-start');
  assert.equal(ruleIds[first.ruleIndex], 'invalid-start');
  assert.equal(first.level, 'error');
  assert.deepEqual(first.locations[0].physicalLocation.region, { startLine: 2, startColumn: 3, endLine: 2, endColumn: 12 });
  assert.equal(first.fixes[0].artifactChanges[0].replacements[0].insertedContent.text, 'B-Disease');
});

test('check reports an unreadable file with its path and fails; bad usage exits 2', () => {
  const missing = bioner('check', path.join(dir, 'missing.bio'));
  assert.equal(missing.status, 1);
  assert.match(missing.stdout, /missing\.bio: error: ENOENT/);
  const usage = bioner('check', '--format', 'xml', errors);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /unknown format 'xml'/);
  assert.equal(bioner('frobnicate').status, 2);
});

test('convert rewrites tags to IOBES without touching the input file', () => {
  const input = write('to-convert.bio', bio('a B-X', 'b I-X', 'c O', 'd B-Y'));
  const before = readFileSync(input, 'utf8');
  const result = bioner('convert', input, '--to', 'iobes');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, bio('a B-X', 'b E-X', 'c O', 'd S-Y'));
  assert.match(result.stderr, /2 tag\(s\) changed/);
  assert.equal(readFileSync(input, 'utf8'), before);
});
