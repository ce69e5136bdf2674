// Runs test/vscode/suite in a real VS Code with the extension loaded from this
// repository: `npm run test:vscode` (builds dist/ first and runs this through
// electron.test.ts, so that a skip counts in node:test's summary), or
// `node --import tsx test/vscode/runTest.ts` after `npm run build`.
//
// VS Code comes from BIONER_VSCODE_EXECUTABLE when set (a local `code` binary,
// e.g. /usr/share/code/code), otherwise it is downloaded into .vscode-test/
// (version: BIONER_VSCODE_VERSION, default 'stable'). Where it cannot be
// downloaded (no network), this prints "skipped: cannot download VS Code (...)"
// and exits 0. On Linux without a display, run it under `xvfb-run -a`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import {
  downloadAndUnzipVSCode,
  runTests,
  ProgressReportStage,
  type ProgressReport,
  type ProgressReporter,
} from '@vscode/test-electron';

const ROOT = path.resolve(__dirname, '..', '..');
const SUITE_ENTRY = path.join(__dirname, 'suite', 'index.ts');
const SUITE_OUT = path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js');
const EXTENSION_MAIN = path.join(ROOT, 'dist', 'extension.js');
const CACHE_PATH = path.join(ROOT, '.vscode-test');
const DOWNLOAD_TIMEOUT_MS = Number(process.env.BIONER_VSCODE_DOWNLOAD_TIMEOUT_MS) || 60_000;

/** Bundles the suite to CommonJS, the form the extension host loads. */
async function compileSuite(): Promise<void> {
  await build({
    entryPoints: [SUITE_ENTRY],
    outfile: SUITE_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

/** Plain line-per-stage progress (the default spinner garbles CI logs and the skip message). */
const lineReporter: ProgressReporter = {
  report(r: ProgressReport): void {
    switch (r.stage) {
      case ProgressReportStage.ResolvedVersion:
        console.log(`VS Code version: ${r.version}`);
        break;
      case ProgressReportStage.FoundMatchingInstall:
        console.log(`Using VS Code in ${r.downloadedPath}`);
        break;
      case ProgressReportStage.Downloading:
        if (r.bytesSoFar === 0) console.log(`Downloading VS Code (${(r.totalBytes / 2 ** 20).toFixed(1)} MB)...`);
        break;
      case ProgressReportStage.Retrying:
        console.log(`Download failed, retrying (${r.attempt}/${r.totalAttempts}): ${r.error.message}`);
        break;
      case ProgressReportStage.NewInstallComplete:
        console.log(`Downloaded VS Code into ${r.downloadedPath}`);
        break;
      default:
        break;
    }
  },
  error(): void {
    // reported by the caller
  },
};

function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${code ? `${code} ` : ''}${err.message}${cause}`.replace(/\s+/g, ' ').trim();
  }
  return String(err).replace(/\s+/g, ' ').trim();
}

/** Rejects after `ms` even when the wrapped promise never settles (a stalled DNS lookup or connect). */
function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The VS Code binary to run, or undefined when it cannot be had (then the run is skipped). */
async function vscodeExecutable(): Promise<string | undefined> {
  const local = process.env.BIONER_VSCODE_EXECUTABLE;
  if (local) {
    if (!fs.existsSync(local)) throw new Error(`BIONER_VSCODE_EXECUTABLE=${local} does not exist`);
    console.log(`Using VS Code at ${local} (BIONER_VSCODE_EXECUTABLE)`);
    return local;
  }
  const version = process.env.BIONER_VSCODE_VERSION || 'stable';
  try {
    return await deadline(
      downloadAndUnzipVSCode({ version, cachePath: CACHE_PATH, timeout: DOWNLOAD_TIMEOUT_MS, reporter: lineReporter }),
      DOWNLOAD_TIMEOUT_MS,
      'download',
    );
  } catch (err) {
    console.log(
      `skipped: cannot download VS Code (${reason(err)}). ` +
        'Set BIONER_VSCODE_EXECUTABLE to a local VS Code binary to run these tests offline.',
    );
    return undefined;
  }
}

async function main(): Promise<number> {
  // Compiled even when the run is skipped, so that a suite that does not build fails everywhere.
  await compileSuite();

  const executable = await vscodeExecutable();
  if (!executable) return 0;

  if (!fs.existsSync(EXTENSION_MAIN)) {
    console.error(`${path.relative(ROOT, EXTENSION_MAIN)} is missing: run \`npm run build\` first (npm run test:vscode does).`);
    return 1;
  }

  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.warn('No DISPLAY set: if VS Code fails to start, run this under `xvfb-run -a`.');
  }

  // A fresh profile and an empty workspace, so that the user's settings and extensions play no part.
  // (Short names: VS Code's IPC socket lives in the user data dir, and macOS limits socket paths to 103 bytes.)
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bnr-'));
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace);
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: SUITE_OUT,
      extensionTestsEnv: { BIONER_TEST_WORKSPACE: workspace },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-gpu',
        `--user-data-dir=${path.join(scratch, 'ud')}`,
        `--extensions-dir=${path.join(scratch, 'ext')}`,
      ],
    });
    return 0;
  } catch (err) {
    console.error(`VS Code tests failed: ${reason(err)}`);
    return 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  // exit explicitly: a download request abandoned at the deadline may still hold the event loop
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
