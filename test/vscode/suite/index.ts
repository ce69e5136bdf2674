// Entry point that VS Code's extension host loads (--extensionTestsPath). It is
// bundled by test/vscode/runTest.ts with esbuild to out/test/vscode/suite/index.js.
// No test framework: the tests in extension.test.ts run one after the other, and
// run() rejects when any fails, which makes VS Code exit with a non-zero code.
import { tests } from './extension.test';

const DEFAULT_TIMEOUT_MS = 60_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function run(): Promise<void> {
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  console.log(`BioNER VS Code tests: ${tests.length} to run`);
  let stopped = false;
  for (const t of tests) {
    if (stopped && !t.always) {
      failed++;
      console.error(`not ok - ${t.name} (not run: an earlier test it needs failed)`);
      continue;
    }
    const t0 = Date.now();
    try {
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs ?? DEFAULT_TIMEOUT_MS, t.name);
      passed++;
      console.log(`ok - ${t.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`not ok - ${t.name} (${Date.now() - t0} ms)\n${detail.replace(/^/gm, '    ')}`);
      if (t.stopOnFailure) stopped = true;
    }
  }
  console.log(`${passed} passed, ${failed} failed (${Date.now() - started} ms)`);
  if (failed > 0) throw new Error(`${failed} of ${tests.length} BioNER VS Code tests failed`);
}
