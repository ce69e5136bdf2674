/** npm test's view of the test-electron suite: runs runTest.ts and reports a skip, with its reason, when VS Code cannot be had. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const RUNNER = path.join(__dirname, 'runTest.ts');

test('the extension suite in a real VS Code (@vscode/test-electron)', { timeout: 15 * 60_000 }, async (t) => {
  // runTest.ts stays a plain script (what users' CI runs): it exits 0 and prints "skipped: …" when it cannot run.
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER], { stdio: ['ignore', 'pipe', 'pipe'], signal: t.signal });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const skipped = /^skipped: (.*)$/m.exec(output);
  if (code === 0 && skipped) {
    t.skip(skipped[1]);
    return;
  }
  assert.equal(code, 0, `runTest.ts failed:\n${output.slice(-8000)}`);
});
