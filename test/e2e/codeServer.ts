// Harness for real-editor end-to-end tests: runs the packaged extension in
// code-server (VS Code in the browser) and drives it with headless Debian
// Chromium through playwright-core.
//
// Prerequisites are installed by `bash scripts/setup-e2e.sh` (code-server with
// its own Node 24 under .e2e/, chromium from Debian).
//
// Every wait here waits for an event or a condition (a selector, a function
// in the page, a process exit, an HTTP answer) with a time limit; none uses a
// fixed sleep to synchronise.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { freePort } from '../support/fixtures';

// In-page code (page.evaluate / waitForFunction) runs in the browser; these
// module-scoped declarations only let it type-check without the DOM lib.
declare const document: any;
declare function getComputedStyle(element: any): any;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
/** The packaged extension the tests install (`npm run package`). */
export const DEFAULT_VSIX = process.env.BIONER_E2E_VSIX ?? path.join(REPO_ROOT, 'dist', 'bioner.vsix');
export const DEFAULT_CODE_SERVER = process.env.BIONER_E2E_CODE_SERVER ?? path.join(REPO_ROOT, '.e2e', 'bin', 'code-server');
export const DEFAULT_CHROMIUM = process.env.BIONER_E2E_CHROMIUM ?? '/usr/bin/chromium';

/**
 * What a suite needs and does not have: the extension package, code-server and Chromium. Registers
 * a test that fails when something is missing (skipped instead with BIONER_E2E_SKIP=1) and returns the suite's
 * skip reason.
 */
export function requirePrerequisites(title: string, vsix: string): string | false {
  const missing: string[] = [];
  if (!existsSync(vsix)) missing.push(`extension package ${path.relative(REPO_ROOT, vsix)} (run \`npm run package\`)`);
  if (!existsSync(DEFAULT_CODE_SERVER)) missing.push(`code-server ${DEFAULT_CODE_SERVER} (run \`bash scripts/setup-e2e.sh\`)`);
  if (!existsSync(DEFAULT_CHROMIUM)) missing.push(`chromium ${DEFAULT_CHROMIUM} (run \`bash scripts/setup-e2e.sh\`)`);
  const skipAll = process.env.BIONER_E2E_SKIP === '1';
  test(title, { skip: skipAll && missing.length > 0 ? `BIONER_E2E_SKIP=1, missing: ${missing.join('; ')}` : false }, () => {
    assert.deepEqual(missing, [], `end-to-end prerequisites missing:\n  - ${missing.join('\n  - ')}\n(set BIONER_E2E_SKIP=1 to skip instead)`);
  });
  return missing.length > 0 ? `prerequisites missing: ${missing.join('; ')}` : false;
}

/** Settings written to the user-data-dir: no welcome page, trust prompt, tips, telemetry, update checks or AI panels. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'editor.semanticHighlighting.enabled': true,
  'editor.hover.delay': 100,
  'editor.hover.sticky': true,
  'editor.minimap.enabled': false,
  'editor.formatOnSave': false,
  'editor.accessibilitySupport': 'off',
  'files.autoSave': 'off',
  'files.trimTrailingWhitespace': false,
  'files.insertFinalNewline': false,
};

export interface StartOptions {
  /** Path of the .vsix to install. */
  vsix: string;
  /** Folder that the tests open (only used for logging; pass it to openEditor). */
  workspaceFolder: string;
  /** code-server launcher; default .e2e/bin/code-server (or $BIONER_E2E_CODE_SERVER). */
  codeServer?: string;
  /** Extra user settings, merged over DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Time limit for the install and for the server to answer HTTP (ms each). */
  timeoutMs?: number;
  /** More .vsix files to install beside `vsix` (e.g. a test's helper extension). */
  extraVsix?: string[];
  /**
   * Turns workspace trust on (by default it is off, so every folder is
   * trusted): folders then open untrusted, in restricted mode, without the
   * trust prompt, as a folder the user declined to trust.
   */
  workspaceTrust?: boolean;
}

export interface CodeServer {
  url: string;
  port: number;
  /** Process id of code-server, the root of the process tree it starts (extension host, language server…). */
  pid: number;
  userDataDir: string;
  extensionsDir: string;
  /** What code-server printed so far (stdout and stderr). */
  log(): string;
  /** Kills code-server's process group and removes its temporary directories. */
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Sends `signal` to the process group led by `child` (it was started detached, i.e. under setsid). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Installs `vsix` into a fresh extensions dir, starts code-server on a free
 * loopback port in its own process group and waits until it answers HTTP.
 */
export async function startCodeServer(options: StartOptions): Promise<CodeServer> {
  const codeServer = options.codeServer ?? DEFAULT_CODE_SERVER;
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (!existsSync(codeServer)) {
    throw new Error(`code-server not found at ${codeServer}: run \`bash scripts/setup-e2e.sh\` first`);
  }
  if (!existsSync(options.vsix)) {
    throw new Error(`extension package not found at ${options.vsix}: run \`npm run package\` first`);
  }
  const packages = [options.vsix, ...(options.extraVsix ?? [])];

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-cs-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const configFile = path.join(tmp, 'config.yaml');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const trustSettings = options.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...trustSettings, ...options.settings }, null, 2),
  );
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  // Keep everything code-server and VS Code write out of $HOME.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
    XDG_RUNTIME_DIR: path.join(tmp, 'xdg-runtime'),
    VSCODE_AGENT_FOLDER: path.join(tmp, 'agent'),
    // no extension gallery (code-server's default is open-vsx.org): nothing
    // but loopback is contacted
    EXTENSIONS_GALLERY: '{}',
  };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  delete env.PORT;
  for (const dir of ['xdg-config', 'xdg-data', 'xdg-cache', 'xdg-runtime', 'agent']) {
    mkdirSync(path.join(tmp, dir), { recursive: true, mode: 0o700 });
  }
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  let output = '';
  const collect = (child: ChildProcess): void => {
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  };
  const cleanupTmp = (): void => rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });

  // 1. install the extensions
  const installer = spawn(codeServer, [...common, '--force', ...packages.flatMap((vsix) => ['--install-extension', vsix])], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collect(installer);
  let code: number | null;
  try {
    code = await waitForExit(installer, timeoutMs);
  } catch (error) {
    killGroup(installer, 'SIGKILL');
    cleanupTmp();
    throw new Error(`installing ${packages.join(', ')} timed out:\n${output}`, { cause: error });
  }
  if (code !== 0 || (output.match(/successfully installed/gi) ?? []).length < packages.length) {
    cleanupTmp();
    throw new Error(`installing ${packages.join(', ')} into code-server failed (exit ${code}):\n${output}`);
  }

  // 2. start the server in its own process group
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    codeServer,
    [
      ...common,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--disable-proxy',
      '--ignore-last-opened',
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  collect(child);
  let exited = false;
  child.once('exit', () => (exited = true));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    try {
      await waitForExit(child, 10_000);
    } catch {
      // fall through to SIGKILL
    }
    // the extension host and language server are in the same group
    killGroup(child, 'SIGKILL');
    cleanupTmp();
  };

  // 3. wait until it answers HTTP (or dies)
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited before answering HTTP:\n${output}`);
    }
    const status = await httpStatus(`${url}/healthz`);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
    }
    // poll the condition again once the server has had a moment; this is a
    // retry interval, not a synchronisation sleep
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  return { url, port, pid: child.pid!, userDataDir, extensionsDir, log: () => output, stop };
}

/** A workspace written for one test file, code-server on it with the extension, and a page showing one of its files. */
export interface EditorSession {
  workspace: string;
  server: CodeServer;
  page: Page;
  /** Closes the browser, stops code-server and removes the workspace. */
  close(): Promise<void>;
}

export interface EditorSessionOptions {
  /** Names the workspace folder and the step whose failure screenshot is taken. */
  name: string;
  vsix: string;
  /** Relative paths and texts; folders are made as needed. */
  files: Record<string, string>;
  /** The file shown. */
  open: string;
  /** User settings, as startCodeServer's. */
  settings?: Record<string, unknown>;
  /** Default 1280×800. */
  viewport?: { width: number; height: number };
  /** For code-server's start and the file's opening, each (ms); their defaults otherwise. */
  timeoutMs?: number;
}

/** Writes `files` into a new workspace, starts code-server on it with `vsix` installed, and opens `open` in headless Chromium. */
export async function startEditorSession(options: EditorSessionOptions): Promise<EditorSession> {
  const workspace = mkdtempSync(path.join(os.tmpdir(), `bioner-e2e-${options.name}-ws-`));
  for (const [file, text] of Object.entries(options.files)) {
    mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
    writeFileSync(path.join(workspace, file), text);
  }
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    rmSync(workspace, { recursive: true, force: true });
  };
  try {
    server = await startCodeServer({ vsix: options.vsix, workspaceFolder: workspace, settings: options.settings, timeoutMs: options.timeoutMs });
    browser = await launchBrowser();
    const page = await (await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } })).newPage();
    await step(page, `${options.name}-open-editor`, () => openEditor(page, server!.url, workspace, options.open, options.timeoutMs));
    return { workspace, server, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Launches headless Debian Chromium (its config and caches in a temporary directory, removed when it closes). */
export async function launchBrowser(executablePath = DEFAULT_CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`chromium not found at ${executablePath}: run \`bash scripts/setup-e2e.sh\` first`);
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-chromium-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  Object.assign(env, {
    XDG_CONFIG_HOME: path.join(tmp, 'config'),
    XDG_CACHE_HOME: path.join(tmp, 'cache'),
    XDG_DATA_HOME: path.join(tmp, 'data'),
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      env,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--disable-breakpad',
        '--disable-crash-reporter',
        // only loopback: every other host name fails to resolve
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
      ],
    });
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  browser.on('disconnected', () => rmSync(tmp, { recursive: true, force: true, maxRetries: 3 }));
  return browser;
}

/** Saves a full-page screenshot under test-results/ and returns its path (never throws). */
export async function screenshot(page: Page, name: string): Promise<string | undefined> {
  try {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await page.screenshot({ path: file, timeout: 15_000 });
    return file;
  } catch {
    return undefined;
  }
}

/** Runs `fn`; if it throws, saves test-results/e2e-fail-<name>.png and rethrows with the path. */
export async function step<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const file = await screenshot(page, `e2e-fail-${name}`);
    if (error instanceof Error && file) error.message += `\n(screenshot: ${path.relative(REPO_ROOT, file)})`;
    throw error;
  }
}

const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

/** The text of the active editor as rendered (Monaco only renders visible lines). */
export async function editorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')] as any[];
    return lines
      .map((line) => ({ top: parseFloat(line.style.top || '0'), text: String(line.textContent).replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text)
      .join('\n');
  });
}

/**
 * Opens `url` with `folder` as the workspace, then `fileName` (a name relative
 * to the folder) through Quick Open, and waits for its Monaco editor to show
 * the first line of the file.
 */
export async function openEditor(page: Page, url: string, folder: string, fileName: string, timeoutMs = 90_000): Promise<void> {
  const target = new URL(url);
  target.searchParams.set('folder', folder);
  await page.goto(target.toString(), { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  // the workbench is up when the explorer shows the folder's files
  await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
  const baseName = path.basename(fileName);
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: timeoutMs });

  const firstLine = readFileSync(path.join(folder, fileName), 'utf8').split(/\r?\n/)[0].split('\t')[0];
  // Quick Open; retried because the first key press can land before the
  // workbench has registered its keybindings.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.locator('.monaco-workbench').first().focus().catch(() => undefined);
    await page.keyboard.press(`${mod}+KeyP`);
    const input = page.locator('.quick-input-widget input.input');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
    } catch {
      if (Date.now() > deadline) throw new Error('Quick Open (Ctrl+P) did not open');
      continue;
    }
    await input.fill(fileName);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: baseName }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Enter');
    break;
  }
  await page.waitForSelector(`.tabs-container .tab[aria-label*="${baseName}"]`, { timeout: timeoutMs });
  await page.waitForFunction(
    (text: string) => {
      const view = document.querySelector('.editor-instance .monaco-editor .view-lines');
      return !!view && String(view.textContent).replace(/\u00a0/g, ' ').includes(text);
    },
    firstLine,
    { timeout: timeoutMs },
  );
}

/** Waits until the active editor shows at least `min` error squiggles; returns their count. */
export async function waitForSquiggles(page: Page, min: number, timeoutMs = 45_000, selector = '.squiggly-error'): Promise<number> {
  await page.waitForFunction(
    ([sel, n]: [string, number]) => document.querySelectorAll(`.editor-instance .monaco-editor ${sel}`).length >= n,
    [selector, min] as [string, number],
    { timeout: timeoutMs },
  );
  return page.locator(`.editor-instance .monaco-editor ${selector}`).count();
}

/**
 * In-page source of `findText(text)`: where the rendered text of the active
 * editor holds `text` as a whole word (between whitespace or line ends), the
 * first such place: `{ range, span }` with a DOM Range over its characters
 * (which may cross token spans) and the token span holding its first
 * character; or null. Composed into string expressions (not eval'd in the
 * page, so the workbench's CSP does not matter).
 */
const FIND_TEXT = `function findText(text) {
  const lines = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')]
    .sort((a, b) => parseFloat(a.style.top || '0') - parseFloat(b.style.top || '0'));
  for (const line of lines) {
    const nodes = [];
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    const full = nodes.map((n) => n.textContent.replace(/\\u00a0/g, ' ')).join('');
    let at = -1;
    for (let i = full.indexOf(text); i >= 0; i = full.indexOf(text, i + 1)) {
      const before = i === 0 ? ' ' : full[i - 1];
      const after = i + text.length >= full.length ? ' ' : full[i + text.length];
      if (/\\s/.test(before) && /\\s/.test(after)) { at = i; break; }
    }
    if (at < 0) continue;
    const point = (offset, isEnd) => {
      let seen = 0;
      for (const n of nodes) {
        const len = n.textContent.length;
        if (offset < seen + len || (isEnd && offset === seen + len)) return [n, offset - seen];
        seen += len;
      }
      const last = nodes[nodes.length - 1];
      return [last, last.textContent.length];
    };
    const [startNode, startOffset] = point(at, false);
    const [endNode, endOffset] = point(at + text.length, true);
    const range = document.createRange();
    range.setStart(startNode, startOffset);
    range.setEnd(endNode, endOffset);
    return { range, span: startNode.parentElement };
  }
  return null;
}`;

/** The computed CSS colour of the rendered span holding `text` in the active editor. */
export async function tokenColor(page: Page, text: string): Promise<string> {
  const color = (await page.evaluate(
    `(() => { ${FIND_TEXT}; const hit = findText(${JSON.stringify(text)}); return hit ? String(getComputedStyle(hit.span).color) : null; })()`,
  )) as string | null;
  if (color === null) throw new Error(`no rendered span with text ${JSON.stringify(text)}`);
  return color;
}

/**
 * Waits until `predicate` (a JS expression over `colors`, an object from text
 * to computed colour) holds for the rendered spans of `texts`; by default
 * until all colours differ. Returns the colours whether or not the condition
 * was met within `timeoutMs` (the caller asserts).
 */
export async function waitForTokenColors(
  page: Page,
  texts: string[],
  predicate = 'new Set(Object.values(colors)).size === Object.keys(colors).length',
  timeoutMs = 30_000,
): Promise<Record<string, string>> {
  const expression = `(() => {
    ${FIND_TEXT};
    const colors = {};
    for (const t of ${JSON.stringify(texts)}) {
      const hit = findText(t);
      if (!hit) return false;
      colors[t] = String(getComputedStyle(hit.span).color);
    }
    return (${predicate});
  })()`;
  await page.waitForFunction(expression, undefined, { timeout: timeoutMs }).catch(() => undefined);
  const result: Record<string, string> = {};
  for (const t of texts) result[t] = await tokenColor(page, t);
  return result;
}

/** Moves the mouse away from the editor and waits for any hover to close. */
export async function dismissHover(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.mouse.move(1, 1);
  await page.waitForSelector('.monaco-hover:not(.hidden) .monaco-hover-content', { state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

/**
 * Hovers the mouse over the rendered text `token` and returns the text of the
 * hover that opens. Waits until the hover's text contains `expect` (when
 * given) and is no longer "Loading...".
 */
export async function hoverText(page: Page, token: string, expect?: string, timeoutMs = 30_000): Promise<string> {
  await dismissHover(page);
  // the middle of the token's own characters, not of a wider span
  const box = (await page.evaluate(`(() => {
    ${FIND_TEXT};
    const hit = findText(${JSON.stringify(token)});
    if (!hit) return null;
    const r = hit.range.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  })()`)) as { x: number; y: number } | null;
  if (!box) throw new Error(`no rendered span with text ${JSON.stringify(token)} to hover`);
  return hoverAt(page, box, JSON.stringify(token), expect, timeoutMs);
}

/** Hovers a point until a hover with the expected text shows (not "Loading..."), re-moving the mouse if it is lost. */
async function hoverAt(page: Page, point: { x: number; y: number }, what: string, expect: string | undefined, timeoutMs: number): Promise<string> {
  const hoverNow = (): Promise<string> =>
    page.evaluate(() => ([...document.querySelectorAll('.monaco-hover:not(.hidden)')] as any[]).map((h) => String(h.innerText ?? h.textContent)).join('\n'));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    // small mouse moves inside the text re-trigger the hover if it was lost
    await page.mouse.move(point.x - 1 + (attempt % 3), point.y);
    try {
      await page.waitForFunction(
        (want: string | null) => {
          const hovers = [...document.querySelectorAll('.monaco-hover:not(.hidden)')] as any[];
          const text = hovers.map((h) => String(h.innerText ?? h.textContent)).join('\n');
          if (!text.trim() || /^\s*Loading\.\.\.\s*$/.test(text)) return false;
          return want === null || text.includes(want);
        },
        expect ?? null,
        { timeout: Math.min(10_000, Math.max(1, deadline - Date.now())) },
      );
      return await hoverNow();
    } catch {
      last = await hoverNow().catch(() => '');
    }
  }
  throw new Error(`no hover${expect ? ` containing ${JSON.stringify(expect)}` : ''} over ${what}; last hover text: ${JSON.stringify(last)}`);
}

/**
 * Puts the cursor at 1-based `line` and 1-based character `column` of the
 * active editor: Go to Line (Ctrl+G) to the start of the line, then arrow
 * keys (Go to Line's own column counts tabs as several columns).
 */
export async function goToPosition(page: Page, line: number, column = 1): Promise<void> {
  await page.locator('.editor-instance .monaco-editor textarea').first().focus();
  await page.keyboard.press(`${mod}+KeyG`);
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  // Ctrl+G opens Quick Open with a ":" prefix (go to line); keep it
  await input.fill(`:${line}:1`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
  await page.waitForFunction(
    `[...document.querySelectorAll('.statusbar-item')].some((e) => /\\bLn ${line}, Col 1\\b/.test(e.textContent))`,
    undefined,
    { timeout: 10_000 },
  );
  for (let i = 1; i < column; i++) await page.keyboard.press('ArrowRight');
}

/** Opens the quick-fix menu (Ctrl+.) at `line`:`column` and returns the labels it offers. */
export async function quickFixLabels(page: Page, line: number, column = 1, timeoutMs = 20_000): Promise<string[]> {
  await goToPosition(page, line, column);
  const rows = page.locator('.action-widget .monaco-list-row.action');
  // A Ctrl+. pressed while the code actions of the position are still being computed can open nothing (seen once
  // in CI with the light bulb showing): press it again, up to the deadline.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await rows.first().isVisible())) await page.keyboard.press(`${mod}+Period`);
    const wait = Math.min(5_000, deadline - Date.now());
    const shown = await rows.first().waitFor({ state: 'visible', timeout: Math.max(wait, 1) }).then(() => true, () => false);
    if (shown) return (await rows.allInnerTexts()).map((t) => t.trim());
    if (Date.now() >= deadline) throw new Error(`no quick-fix menu at ${line}:${column} within ${timeoutMs} ms`);
  }
}

/**
 * Applies the quick fix whose label starts with `labelPrefix` at
 * `line`:`column`, saves the file with Ctrl+S and waits until `file` on disk
 * changes. Returns the new file content.
 */
export async function applyQuickFix(
  page: Page,
  options: { line: number; column?: number; labelPrefix: string; file: string; timeoutMs?: number },
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const before = readFileSync(options.file, 'utf8');
  const labels = await quickFixLabels(page, options.line, options.column ?? 1, timeoutMs);
  const row = page.locator('.action-widget .monaco-list-row.action').filter({ hasText: options.labelPrefix }).first();
  if (!labels.some((l) => l.startsWith(options.labelPrefix)) || (await row.count()) === 0) {
    await page.keyboard.press('Escape');
    throw new Error(`no quick fix starting with ${JSON.stringify(options.labelPrefix)} at ${options.line}:${options.column ?? 1}; offered: ${JSON.stringify(labels)}`);
  }
  await row.click();
  await page.locator('.action-widget .monaco-list-row.action').first().waitFor({ state: 'hidden', timeout: 10_000 });
  // the tab shows a dirty marker once the edit is applied
  await page.waitForSelector('.tabs-container .tab.active.dirty', { timeout: timeoutMs });
  await page.keyboard.press(`${mod}+KeyS`);
  await page.waitForSelector('.tabs-container .tab.active:not(.dirty)', { timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = readFileSync(options.file, 'utf8');
    if (now !== before) return now;
    if (Date.now() > deadline) throw new Error(`${options.file} did not change on disk after the quick fix and Ctrl+S`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval for the disk condition
  }
}

/**
 * In-page source of `findWords(word)`: every whole-word occurrence of `word`
 * in the rendered lines of the active editor (neighbours are not letters or
 * digits, so `dystrophy` is found in `/dystrophy/` too), in rendered order:
 * `{ line, lineIndex, colors, x, y }` with the text of its line, the line's
 * index among the rendered lines, the distinct computed colours of the token
 * spans over its characters, and the middle of its characters.
 */
const FIND_WORDS = `function findWords(word) {
  const lines = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')]
    .sort((a, b) => parseFloat(a.style.top || '0') - parseFloat(b.style.top || '0'));
  const found = [];
  lines.forEach((line, lineIndex) => {
    const nodes = [];
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    const full = nodes.map((n) => n.textContent.replace(/\\u00a0/g, ' ')).join('');
    for (let i = full.indexOf(word); i >= 0; i = full.indexOf(word, i + 1)) {
      const before = i === 0 ? ' ' : full[i - 1];
      const after = i + word.length >= full.length ? ' ' : full[i + word.length];
      if (/[\\p{L}\\p{N}]/u.test(before) || /[\\p{L}\\p{N}]/u.test(after)) continue;
      const colors = new Set();
      let seen = 0, startNode = null, startOffset = 0, endNode = null, endOffset = 0;
      for (const n of nodes) {
        const len = n.textContent.length;
        if (seen < i + word.length && i < seen + len) colors.add(String(getComputedStyle(n.parentElement).color));
        if (!startNode && i < seen + len) { startNode = n; startOffset = i - seen; }
        if (!endNode && i + word.length <= seen + len) { endNode = n; endOffset = i + word.length - seen; }
        seen += len;
      }
      const range = document.createRange();
      range.setStart(startNode, startOffset);
      range.setEnd(endNode, endOffset);
      const r = range.getBoundingClientRect();
      found.push({ line: full, lineIndex, colors: [...colors], x: r.left + r.width / 2, y: r.top + r.height / 2 });
    }
  });
  return found;
}`;

export interface WordOccurrence {
  /** The rendered text of the line that holds it. */
  line: string;
  /** Its line's index among the rendered lines (the 0-based line number while the editor is scrolled to the top). */
  lineIndex: number;
  /** The distinct computed CSS colours of the token spans over its characters. */
  colors: string[];
  /** The middle of its characters, in page coordinates. */
  x: number;
  y: number;
}

/** Every whole-word occurrence of `word` in the rendered lines of the active editor (see FIND_WORDS). */
export async function wordOccurrences(page: Page, word: string): Promise<WordOccurrence[]> {
  return (await page.evaluate(`(() => { ${FIND_WORDS}; return findWords(${JSON.stringify(word)}); })()`)) as WordOccurrence[];
}

/**
 * Waits until `predicate` (a JS expression over `words`, an object from each
 * of `texts` to its occurrences as wordOccurrences returns them) holds.
 * Returns the occurrences whether or not it held within `timeoutMs` (the
 * caller asserts).
 */
export async function waitForWords(
  page: Page,
  texts: string[],
  predicate: string,
  timeoutMs = 30_000,
): Promise<Record<string, WordOccurrence[]>> {
  const expression = `(() => {
    ${FIND_WORDS};
    const words = {};
    for (const t of ${JSON.stringify(texts)}) words[t] = findWords(t);
    return (${predicate});
  })()`;
  await page.waitForFunction(expression, undefined, { timeout: timeoutMs }).catch(() => undefined);
  const result: Record<string, WordOccurrence[]> = {};
  for (const t of texts) result[t] = await wordOccurrences(page, t);
  return result;
}

/**
 * Like hoverText, for the whole-word occurrence of `word` on the first
 * rendered line that contains `lineIncludes`: hovers the middle of its
 * characters and returns the hover's text once it contains `expect` (when
 * given) and is no longer "Loading...".
 */
export async function hoverWord(page: Page, word: string, lineIncludes: string, expect?: string, timeoutMs = 30_000): Promise<string> {
  await dismissHover(page);
  const hit = (await wordOccurrences(page, word)).find((o) => o.line.includes(lineIncludes));
  if (!hit) throw new Error(`no rendered ${JSON.stringify(word)} on a line containing ${JSON.stringify(lineIncludes)} to hover`);
  return hoverAt(page, hit, `${JSON.stringify(word)} on the line with ${JSON.stringify(lineIncludes)}`, expect, timeoutMs);
}

/**
 * Opens the Command Palette (F1) on `query` and waits until it shows `row`. The
 * palette is reopened while it does not open (the first key press can land
 * before the workbench has registered its keybindings) or does not show the row
 * (it filters the commands known when it opened, and a slow machine may still
 * be registering the extension's).
 */
async function openPaletteShowing(page: Page, query: string, row: Locator, timeoutMs: number): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.locator('.monaco-workbench').first().focus().catch(() => undefined);
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${query}`);
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        const listed = await page.locator('.quick-input-list .monaco-list-row').allTextContents().catch(() => []);
        throw new Error(`the Command Palette did not offer ${JSON.stringify(query)} (rows: ${JSON.stringify(listed)}): ${String(error)}`);
      }
      await page.keyboard.press('Escape');
    }
  }
}

/** Runs a command through the Command Palette: types `label`, waits until the focused row shows it, presses Enter. */
export async function runFromCommandPalette(page: Page, label: string, timeoutMs = 30_000): Promise<void> {
  await openPaletteShowing(page, label, page.locator('.quick-input-list .monaco-list-row.focused', { hasText: label }).first(), timeoutMs);
  await page.keyboard.press('Enter');
}

/** The rows the Command Palette lists for `query`, once it lists `expected`. Closes the palette. */
export async function paletteRows(page: Page, query: string, expected: string, timeoutMs = 30_000): Promise<string[]> {
  await openPaletteShowing(page, query, page.locator('.quick-input-list .monaco-list-row', { hasText: expected }).first(), timeoutMs);
  const rows = await page.locator('.quick-input-list .monaco-list-row').allTextContents();
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget input.input').waitFor({ state: 'hidden', timeout: 5_000 });
  return rows;
}

/**
 * Waits until a status bar item's text contains every one of `texts`; returns
 * the id and text of each item that does.
 */
export async function waitForStatusBarItems(page: Page, texts: string[], timeoutMs = 60_000): Promise<{ id: string; text: string }[]> {
  await page.waitForFunction(
    (wanted: string[]) =>
      [...document.querySelectorAll('.statusbar-item')].some((e: any) => wanted.every((w) => String(e.textContent).includes(w))),
    texts,
    { timeout: timeoutMs },
  );
  return page.evaluate(
    (wanted: string[]) =>
      ([...document.querySelectorAll('.statusbar-item')] as any[])
        .map((e) => ({ id: String(e.id), text: String(e.textContent).trim() }))
        .filter((e) => wanted.every((w) => e.text.includes(w))),
    texts,
  );
}

/**
 * Waits for the quick input (quick pick or input box) titled `title`; for a
 * quick pick, also until its focused row contains `focusedRow`; for an input
 * box, until its value is not empty (`nonEmptyValue`). Returns the input's
 * value. Press Enter afterwards to accept the focused row or the value.
 */
export async function waitForQuickInput(
  page: Page,
  title: string,
  options: { focusedRow?: string; nonEmptyValue?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  if (options.focusedRow !== undefined) {
    await widget.locator('.quick-input-list .monaco-list-row.focused', { hasText: options.focusedRow }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  }
  const input = widget.locator('input.input').first();
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  if (options.nonEmptyValue) {
    await page.waitForFunction(
      () => {
        const el = document.querySelector('.quick-input-widget input.input') as any;
        return !!el && String(el.value).length > 0;
      },
      undefined,
      { timeout: timeoutMs },
    );
  }
  return input.inputValue();
}

/** The texts of the notification toasts now shown (message and source; progress toasts read "title: message"). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    ([...document.querySelectorAll('.notifications-toasts .notification-toast')] as any[])
      .filter((toast) => toast.offsetParent !== null)
      .map((toast) => String(toast.querySelector('.notification-list-item-message')?.textContent ?? toast.textContent).trim()),
  );
}

/** Waits until a notification toast's message matches `pattern`; returns that message. */
export async function waitForNotification(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const handle = await page.waitForFunction(
    ([source, flags]: [string, string]) => {
      const re = new RegExp(source, flags);
      for (const toast of [...document.querySelectorAll('.notifications-toasts .notification-toast')] as any[]) {
        if (toast.offsetParent === null) continue;
        const text = String(toast.querySelector('.notification-list-item-message')?.textContent ?? toast.textContent).trim();
        if (re.test(text)) return text;
      }
      return false;
    },
    [pattern.source, pattern.flags] as [string, string],
    { timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as string;
}

/** Clicks the button labelled `button` on the notification toast whose message matches `pattern`. */
export async function clickNotificationButton(page: Page, pattern: RegExp, button: string, timeoutMs = 10_000): Promise<void> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ has: page.locator('.notification-list-item-message', { hasText: pattern }) }).first();
  const target = toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: button }).first();
  await target.click({ timeout: timeoutMs });
}
