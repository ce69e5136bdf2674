// Real-editor end-to-end test of restricted mode: in an untrusted folder whose settings point bioner.pythonPath at a
// workspace script and bioner.modelPath at a workspace folder, checking works, Fine-tune is refused, and nothing from
// the workspace is run or loaded.
//
//   bash scripts/setup-e2e.sh           # chromium, Node 24, code-server under .e2e/
//   npm run package                     # dist/bioner.vsix
//   node --import tsx --test test/e2e/trust.test.ts
//
// Missing prerequisites make the test fail, unless BIONER_E2E_SKIP=1.
// BIONER_E2E_VSIX, BIONER_E2E_CODE_SERVER and BIONER_E2E_CHROMIUM override the paths.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DEFAULT_VSIX as VSIX,
  DEFAULT_CHROMIUM,
  DEFAULT_CODE_SERVER,
  launchBrowser,
  openEditor,
  paletteRows,
  REPO_ROOT,
  runFromCommandPalette,
  screenshot,
  startCodeServer,
  step,
  waitForNotification,
  waitForSquiggles,
  type CodeServer,
} from './codeServer';

// In-page code (evaluate / waitForFunction) runs in the browser.
declare const document: any;
declare function getComputedStyle(element: any): any;

const SKIP = process.env.BIONER_E2E_SKIP === '1';
const VSCE = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');

// "fever" opens an entity with I- (invalid-start, an error); "B_Disease" is a malformed tag, which the workspace
// settings turn into a warning: a warning squiggle shows that the workspace's unrestricted settings do apply.
const FIXTURE = ['High\tO', 'fever\tI-Disease', 'was\tO', 'seen\tB_Disease', '.\tO', ''].join('\n');
/** The workspace's model folder: the bundled model under another name, so the status bar tells which one runs. */
const WORKSPACE_MODEL = 'ws-model';

/**
 * A helper extension that runs bioner.fineTune through executeCommand, as any other extension could: the command's
 * `enablement` only hides it from the palette and menus, so the handler itself must refuse.
 */
const PROBE_COMMAND = 'Trust Probe: Run bioner.fineTune via executeCommand';
const PROBE_MANIFEST = {
  name: 'bioner-trust-probe',
  publisher: 'bioner-test',
  version: '0.0.1',
  description: 'End-to-end test helper: runs bioner.fineTune through vscode.commands.executeCommand.',
  engines: { vscode: '^1.75.0' },
  main: './extension.js',
  activationEvents: ['onCommand:bionerProbe.fineTune'],
  contributes: { commands: [{ command: 'bionerProbe.fineTune', title: PROBE_COMMAND }] },
  capabilities: { untrustedWorkspaces: { supported: true } },
};
const PROBE_MAIN = `// End-to-end test helper: runs bioner.fineTune the way another extension could, bypassing its enablement.
const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('bionerProbe.fineTune', () => vscode.commands.executeCommand('bioner.fineTune')));
};
`;

function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(VSIX)) missing.push(`extension package ${path.relative(REPO_ROOT, VSIX)} (run \`npm run package\`)`);
  if (!existsSync(DEFAULT_CODE_SERVER)) missing.push(`code-server ${DEFAULT_CODE_SERVER} (run \`bash scripts/setup-e2e.sh\`)`);
  if (!existsSync(DEFAULT_CHROMIUM)) missing.push(`chromium ${DEFAULT_CHROMIUM} (run \`bash scripts/setup-e2e.sh\`)`);
  if (!existsSync(VSCE)) missing.push(`vsce ${path.relative(REPO_ROOT, VSCE)} (run \`npm install\`)`);
  if (process.platform !== 'linux') missing.push('Linux (the process check reads /proc)');
  return missing;
}

/** Packages the probe extension into `dir` and returns the .vsix path. */
function packageProbe(dir: string): string {
  const source = path.join(dir, 'probe');
  mkdirSync(source);
  writeFileSync(path.join(source, 'package.json'), JSON.stringify(PROBE_MANIFEST, null, 2));
  writeFileSync(path.join(source, 'extension.js'), PROBE_MAIN);
  const vsix = path.join(dir, 'probe.vsix');
  const run = spawnSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: source, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0 || !existsSync(vsix)) throw new Error(`packaging the probe extension failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  return vsix;
}

interface ProcessInfo {
  pid: number;
  /** The program the process runs (/proc/PID/exe), '' when unreadable. */
  exe: string;
  argv: string[];
}

/**
 * The processes descended from `root` (by parent id) or in its process group (children that were re-parented, e.g.
 * when their parent exited, stay in the group code-server leads).
 */
function processTree(root: number): ProcessInfo[] {
  const children = new Map<number, number[]>();
  const tree = new Set<number>([root]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // it exited meanwhile
    }
    // after "pid (comm) ": state, ppid, pgrp…; comm may hold spaces and parentheses
    const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const pid = Number(name);
    if (pgrp === root) tree.add(pid);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const queue = [...tree];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) if (!tree.has(child) && tree.add(child)) queue.push(child);
  }
  return [...tree].map((pid) => {
    let exe = '';
    let argv: string[] = [];
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      // it exited meanwhile
    }
    return { pid, exe, argv };
  });
}

const missing = missingPrerequisites();

// Fails (is not skipped) when something is missing, unless BIONER_E2E_SKIP=1.
test('end-to-end prerequisites are installed', { skip: SKIP && missing.length > 0 ? `BIONER_E2E_SKIP=1, missing: ${missing.join('; ')}` : false }, () => {
  assert.deepEqual(missing, [], `end-to-end prerequisites missing:\n  - ${missing.join('\n  - ')}\n(set BIONER_E2E_SKIP=1 to skip instead)`);
});

const skip = missing.length > 0 ? `prerequisites missing: ${missing.join('; ')}` : false;

describe('BioNER in an untrusted workspace (restricted mode)', { skip, timeout: 300_000 }, () => {
  let tmp = '';
  let workspace = '';
  let evilScript = '';
  let marker = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  /** Every process seen in code-server's tree while the tests ran, by pid and command line. */
  const seen = new Map<string, ProcessInfo>();
  let sampler: NodeJS.Timeout | undefined;
  const sample = (): void => {
    for (const info of processTree(server!.pid)) seen.set(`${info.pid} ${info.argv.join(' ')}`, info);
  };

  before(
    async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-trust-'));
      // realpath: /proc shows resolved paths
      workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-trust-ws-')));
      marker = path.join(tmp, 'evil-ran');
      evilScript = path.join(workspace, 'evil.sh');
      writeFileSync(path.join(workspace, 'errors.bio'), FIXTURE);
      // would leave the marker (with its arguments) if anything ever ran it, as pythonPath or otherwise
      writeFileSync(evilScript, `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 1\n`);
      chmodSync(evilScript, 0o755);
      symlinkSync(path.join(REPO_ROOT, 'models', 'default'), path.join(workspace, WORKSPACE_MODEL));
      mkdirSync(path.join(workspace, '.vscode'));
      writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify(
          {
            // restricted (package.json capabilities.untrustedWorkspaces): ignored while the folder is untrusted
            'bioner.pythonPath': evilScript,
            'bioner.modelPath': path.join(workspace, WORKSPACE_MODEL),
            'bioner.training.extraArgs': ['--evil'],
            // not restricted: applies
            'bioner.severity': { 'malformed-tag': 'warning' },
          },
          null,
          2,
        ),
      );
      const probe = packageProbe(tmp);
      server = await startCodeServer({ vsix: VSIX, extraVsix: [probe], workspaceFolder: workspace, workspaceTrust: true });
      // A monitor, not a synchronisation: records short-lived processes between the checks.
      sampler = setInterval(sample, 200);
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await step(page, 'trust-open-editor', () => openEditor(page, server!.url, workspace, 'errors.bio'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    clearInterval(sampler);
    await browser?.close().catch(() => undefined);
    await server?.stop();
    for (const dir of [tmp, workspace]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the folder opens in restricted mode', { timeout: 60_000 }, async () => {
    await step(page, 'trust-restricted', () =>
      page.waitForFunction(() => [...document.querySelectorAll('.statusbar-item')].some((e: any) => /Restricted Mode/.test(String(e.textContent))), undefined, { timeout: 45_000 }),
    );
  });

  test('checking still works, with the workspace severity setting', { timeout: 60_000 }, async () => {
    const errors = await step(page, 'trust-squiggles', () => waitForSquiggles(page, 1));
    const warnings = await step(page, 'trust-warning', () => waitForSquiggles(page, 1, 45_000, '.squiggly-warning'));
    assert.ok(errors >= 1 && warnings >= 1, `expected an error (invalid-start) and a warning (malformed-tag) squiggle, got ${errors} and ${warnings}`);
  });

  test('the status bar shows the bundled default model, not the workspace modelPath', { timeout: 90_000 }, async (t) => {
    const item = page.locator('.statusbar-item[id$="bioner.model"]').first();
    // a loaded model reads "NAME · DEVICE"; loading reads "BioNER: NAME", so the wait ends on whichever model loaded
    await step(page, 'trust-model', () => item.filter({ hasText: ' · ' }).waitFor({ state: 'visible', timeout: 75_000 }));
    const text = (await item.textContent())?.trim() ?? '';
    t.diagnostic(`status bar: ${JSON.stringify(text)}`);
    assert.match(text, /^default · /, `the server loaded another model than the bundled default: ${JSON.stringify(text)}`);
  });

  test('the Command Palette does not offer Fine-tune', { timeout: 60_000 }, async (t) => {
    // its other commands listed first: an absent row is then not a palette still loading the extension's commands
    const rows = await step(page, 'trust-palette', () => paletteRows(page, 'BioNER: ', 'BioNER: Reload Model'));
    t.diagnostic(`palette rows for "BioNER: ": ${JSON.stringify(rows)}`);
    assert.ok(!rows.some((row) => row.includes('Fine-tune')), `the Command Palette offers Fine-tune in an untrusted folder: ${JSON.stringify(rows)}`);
  });

  test('run through executeCommand, Fine-tune refuses', { timeout: 60_000 }, async (t) => {
    await step(page, 'trust-probe', () => runFromCommandPalette(page, PROBE_COMMAND));
    const message = await step(page, 'trust-refused', () => waitForNotification(page, /trust this workspace/, 30_000));
    t.diagnostic(`notification: ${JSON.stringify(message)}`);
    const quickInput = await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Training file' }).count();
    assert.equal(quickInput, 0, 'Fine-tune went on to ask for the training file');
  });

  test('nothing from the workspace ran: no marker, no such process; screenshot', { timeout: 60_000 }, async (t) => {
    // the refusal fully faded in, so that the screenshot shows it
    await page
      .waitForFunction(() => [...document.querySelectorAll('.notifications-toasts .notification-toast')].some((e: any) => getComputedStyle(e).opacity === '1'), undefined, { timeout: 10_000 })
      .catch(() => undefined);
    const shot = await screenshot(page, 'e2e-untrusted');
    sample();
    clearInterval(sampler);
    const processes = [...seen.values()];
    // the tree reaches the language server (code-server → extension host → server): the check looks where spawns land
    const languageServer = processes.find((p) => p.argv.some((arg) => arg.endsWith(path.join('dist', 'server.js'))));
    t.diagnostic(`${processes.length} processes seen in code-server's tree; the language server: ${JSON.stringify(languageServer?.argv)}`);
    assert.ok(languageServer, `the language server is not among the processes seen: ${JSON.stringify(processes.map((p) => p.argv.join(' ').slice(0, 160)))}`);
    const inWorkspace = (file: string): boolean => file === workspace || file.startsWith(workspace + path.sep);
    const fromWorkspace = processes.filter((p) => inWorkspace(p.exe) || p.argv.some((arg) => inWorkspace(arg) || arg.includes('evil.sh')));
    assert.deepEqual(fromWorkspace, [], `processes ran from the workspace: ${JSON.stringify(fromWorkspace)}`);
    assert.ok(!existsSync(marker), `the workspace script ran: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
    assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-untrusted.png');
  });
});
