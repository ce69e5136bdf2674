/** Faults the CLI must survive: a full disk under `--output` or a redirected stdout, and a failed run's output file. */
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXCERPTS, ROOT, TEST_MODEL } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-faults-'));
/** A 64 KiB file system: every output below is larger, every input lies outside it. */
const full = path.join(dir, 'full');
mkdirSync(full);
const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
const NO_TMPFS = mount.status === 0 ? false : `mounting a 64 KiB tmpfs is not permitted here (${(mount.stderr || mount.error?.message || '').trim().split('\n')[0]}): it needs root`;
after(() => {
  if (!NO_TMPFS) spawnSync('umount', [full]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const name of readdirSync(full)) rmSync(path.join(full, name), { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** 138 KB of IOB2 that IOBES rewrites on every entity. */
const BIG = write('big.bio', Array.from({ length: 4000 }, (_, i) => `word${i}\tB-Disease\nnext\tI-Disease\n`).join('\n'));
/** 24 KB whose report is about 160 KB: one malformed tag per sentence. */
const MALFORMED = write('malformed.bio', Array.from({ length: 1500 }, (_, i) => `w${i}\tB_Disease\n`).join('\n'));

/**
 * Runs `args` with `--output` on the full disk twice: into a new file (not created) and over an existing one
 * (unchanged). Each time: exit 2, the message names the file, nothing else is left there, the inputs are
 * untouched. Then the same run into a roomy folder succeeds with more than 64 KiB, so space was the cause.
 */
function assertFullDisk(args: string[], inputs: string[], expectedStatus = 0) {
  const before = inputs.map(sha);
  const target = path.join(full, 'out.txt');
  const fresh = bioner(...args, '--output', target);
  assert.equal(fresh.status, 2, fresh.stderr);
  assert.match(fresh.stderr, new RegExp(`^bioner: cannot write ${escape(target)}: no space left on device \\(ENOSPC\\); ${escape(target)} was not created$`, 'm'));
  assert.deepEqual(readdirSync(full), []);

  writeFileSync(target, 'the previous output\n');
  const over = bioner(...args, '--output', target);
  assert.equal(over.status, 2, over.stderr);
  assert.match(over.stderr, new RegExp(`cannot write ${escape(target)}: no space left on device \\(ENOSPC\\); ${escape(target)} is unchanged`));
  assert.deepEqual(readdirSync(full), ['out.txt']);
  assert.equal(readFileSync(target, 'utf8'), 'the previous output\n');
  assert.deepEqual(inputs.map(sha), before);

  const roomy = path.join(dir, 'roomy.txt');
  const ok = bioner(...args, '--output', roomy);
  assert.equal(ok.status, expectedStatus, ok.stderr);
  assert.ok(statSync(roomy).size > 64 * 1024);
}

test('convert --output on a full disk: a clear error, no partial file, the input untouched', { timeout: 30_000, skip: NO_TMPFS }, () => {
  assertFullDisk(['convert', BIG, '--to', 'iobes'], [BIG]);
});

test('check --output on a full disk: exit 2 (not 1, findings), no partial report', { timeout: 30_000, skip: NO_TMPFS }, () => {
  assertFullDisk(['check', MALFORMED], [MALFORMED], 1);
});

test('annotate --output on a full disk: a clear error, no partial file, the input untouched', { timeout: 60_000, skip: NO_TMPFS }, () => {
  assertFullDisk(['annotate', EXCERPTS[0], '--model', TEST_MODEL], [EXCERPTS[0]]);
});

test('stdout redirected to a file on a full disk: exit 2 and a message, not a silently short file', { timeout: 30_000, skip: NO_TMPFS }, () => {
  const fd = openSync(path.join(full, 'redirected.bio'), 'w');
  try {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'convert', BIG, '--to', 'iobes'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /^bioner: cannot write standard output: no space left on device \(ENOSPC\)$/m);
  } finally {
    closeSync(fd);
  }
});

test('--output replaces a file only at the end: a symlink and the mode are kept, a failed run leaves no temporary file', { timeout: 30_000 }, () => {
  const real = write('real.bio', 'old\n');
  chmodSync(real, 0o640);
  const link = path.join(dir, 'link.bio');
  symlinkSync(real, link);
  const result = bioner('convert', BIG, '--to', 'iobes', '--output', link);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readFileSync(real, 'utf8'), bioner('convert', BIG, '--to', 'iobes').stdout);
  assert.equal(statSync(real).mode & 0o777, 0o640);
  // An input that cannot be read is reported as such, not as an output problem, and creates nothing.
  const missing = bioner('annotate', path.join(dir, 'missing.bio'), '--model', TEST_MODEL, '--output', path.join(dir, 'never.bio'));
  assert.equal(missing.status, 2);
  assert.doesNotMatch(missing.stderr, /cannot write/);
  assert.match(missing.stderr, /missing\.bio/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('never') || n.endsWith('.tmp')), []);
});
