// Real-editor end-to-end test of "BioNER: Fine-tune Model…" (bioner.fineTune):
// the packaged extension (dist/bioner.vsix) in code-server, driven by headless
// Chromium, trains the tiny compact model on 150 BC5CDR sentences with Python,
// shows the progress notification, and switches to the new model.
//
//   bash scripts/setup-e2e.sh           # chromium, Node 24, code-server under .e2e/
//   npm run package                     # dist/bioner.vsix
//   node --import tsx --test test/e2e/fineTune.test.ts
//
// Needs /usr/bin/python3 with torch, onnx, onnxruntime and tokenizers (the
// extension's default interpreter on Linux). Missing prerequisites make the
// test fail, unless BIONER_E2E_SKIP=1.
// BIONER_E2E_VSIX, BIONER_E2E_CODE_SERVER and BIONER_E2E_CHROMIUM override the paths.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DEFAULT_VSIX as VSIX,
  clickNotificationButton,
  DEFAULT_CHROMIUM,
  DEFAULT_CODE_SERVER,
  launchBrowser,
  notificationTexts,
  openEditor,
  REPO_ROOT,
  runFromCommandPalette,
  screenshot,
  startCodeServer,
  step,
  waitForNotification,
  waitForQuickInput,
  waitForStatusBarItems,
  type CodeServer,
} from './codeServer';

// In-page code (evaluate / waitForFunction) runs in the browser.
declare const document: any;
declare const window: any;

const SKIP = process.env.BIONER_E2E_SKIP === '1';
/** The interpreter the extension uses on Linux when bioner.pythonPath is empty. */
const PYTHON = '/usr/bin/python3';
const PYTHON_MODULES = ['torch', 'onnx', 'onnxruntime', 'tokenizers'];
const CORPUS = path.join(REPO_ROOT, 'test', 'fixtures', 'corpus', 'BC5CDR-test-300.tsv');
const SENTENCES = 150;
/**
 * Trainer arguments (python3 -m training.train --help): the tiny preset
 * trains 150 sentences in about 2 s an epoch on one CPU thread, so the
 * progress notification shows for several seconds.
 */
const EXTRA_ARGS = ['--preset', 'tiny', '--epochs', '3', '--log-every', '1'];

function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(VSIX)) missing.push(`extension package ${path.relative(REPO_ROOT, VSIX)} (run \`npm run package\`)`);
  if (!existsSync(DEFAULT_CODE_SERVER)) missing.push(`code-server ${DEFAULT_CODE_SERVER} (run \`bash scripts/setup-e2e.sh\`)`);
  if (!existsSync(DEFAULT_CHROMIUM)) missing.push(`chromium ${DEFAULT_CHROMIUM} (run \`bash scripts/setup-e2e.sh\`)`);
  if (!existsSync(CORPUS)) missing.push(`corpus fixture ${path.relative(REPO_ROOT, CORPUS)}`);
  if (!existsSync(PYTHON)) {
    missing.push(`${PYTHON} (the trainer's interpreter; on Debian: apt-get install python3 python3-torch, then pip install onnx onnxruntime tokenizers)`);
  } else {
    const probe = spawnSync(
      PYTHON,
      ['-c', `import importlib.util as u; print(','.join(m for m in ${JSON.stringify(PYTHON_MODULES)} if u.find_spec(m) is None))`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const lacking = probe.status === 0 ? probe.stdout.trim() : `(probe failed: ${probe.error?.message ?? probe.stderr.trim()})`;
    if (lacking) missing.push(`Python packages for ${PYTHON}: ${lacking} (on Debian: apt-get install python3-torch; pip install onnx onnxruntime tokenizers)`);
  }
  return missing;
}

const missing = missingPrerequisites();

// Fails (is not skipped) when something is missing, unless BIONER_E2E_SKIP=1.
test('fine-tuning end-to-end prerequisites are installed', { skip: SKIP && missing.length > 0 ? `BIONER_E2E_SKIP=1, missing: ${missing.join('; ')}` : false }, () => {
  assert.deepEqual(missing, [], `fine-tuning end-to-end prerequisites missing:\n  - ${missing.join('\n  - ')}\n(set BIONER_E2E_SKIP=1 to skip instead)`);
});

const skip = missing.length > 0 ? `prerequisites missing: ${missing.join('; ')}` : false;

/** Sentences `from`..`to` (0-based, end excluded) of a BIO/CoNLL file, as a file's text. */
function sentences(file: string, from: number, to: number): string {
  const all = readFileSync(file, 'utf8')
    .split(/\r?\n\s*\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  assert.ok(all.length >= to, `${file} has ${all.length} sentences, fewer than ${to}`);
  return `${all.slice(from, to).join('\n\n')}\n\n`;
}

/** The workspace settings as parsed JSON (VS Code writes plain JSON here; comments are not expected). */
function workspaceSettings(workspace: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

describe('BioNER: Fine-tune Model… (real editor)', { skip, timeout: 300_000 }, () => {
  let workspace = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  /** The output folder the input box offered (and the command was given). */
  let outDir = '';
  /** When Enter was pressed on the output folder, i.e. when training was asked for. */
  let startedAt = 0;
  let progressText = '';

  before(
    async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-ft-ws-'));
      writeFileSync(path.join(workspace, 'train.bio'), sentences(CORPUS, 0, SENTENCES));
      writeFileSync(path.join(workspace, 'dev.bio'), sentences(CORPUS, SENTENCES, 2 * SENTENCES));
      mkdirSync(path.join(workspace, '.vscode'));
      writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify(
          {
            'bioner.training.extraArgs': EXTRA_ARGS,
            'bioner.training.maxMinutes': 2,
            // the status bar assertion names the device
            'bioner.device': 'cpu',
            'bioner.threads': 1,
          },
          null,
          2,
        ),
      );
      server = await startCodeServer({ vsix: VSIX, workspaceFolder: workspace });
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await step(page, 'ft-open-editor', () => openEditor(page, server!.url, workspace, 'train.bio'));
      // as a user would, waits for the extension (its status bar item) before using its command
      await step(page, 'ft-extension-active', () => page.locator('.statusbar-item[id$="bioner.model"]').first().waitFor({ state: 'visible', timeout: 90_000 }));
      // Records every distinct notification message (progress updates can be
      // brief), so that the tests can tell which ones were shown.
      // (a string, not a function: tsx would wrap named inner functions in a __name helper the page lacks)
      await page.evaluate(`(() => {
        const seen = (window.__bionerNotifications = []);
        new MutationObserver(() => {
          for (const toast of document.querySelectorAll('.notifications-toasts .notification-toast')) {
            const text = String(toast.querySelector('.notification-list-item-message')?.textContent ?? '').trim();
            if (text && !seen.includes(text)) seen.push(text);
          }
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  const seenNotifications = (): Promise<string[]> => page.evaluate(() => [...(window.__bionerNotifications ?? [])] as string[]);

  test('the command palette runs the command; each default is accepted with Enter', { timeout: 90_000 }, async (t) => {
    await step(page, 'ft-command', async () => {
      await runFromCommandPalette(page, 'BioNER: Fine-tune Model');

      // the open train.bio is offered first
      await waitForQuickInput(page, 'Training file', { focusedRow: 'Use train.bio' });
      await page.keyboard.press('Enter');

      // train.bio → dev.bio, its sibling split
      await waitForQuickInput(page, 'Dev file', { focusedRow: 'Use dev.bio' });
      await page.keyboard.press('Enter');

      await waitForQuickInput(page, 'Base model', { focusedRow: 'Compact model from scratch' });
      await page.keyboard.press('Enter');

      outDir = await waitForQuickInput(page, 'Output model folder', { nonEmptyValue: true });
      t.diagnostic(`output folder offered: ${outDir}`);
      assert.equal(path.dirname(outDir), path.join(workspace, '.bioner', 'models'), `the output folder is not under <workspace>/.bioner/models: ${outDir}`);
      assert.match(path.basename(outDir), /^train-\d{12}$/, `the output folder is not named train-<stamp>: ${outDir}`);
      await page.keyboard.press('Enter');
      startedAt = Date.now();
      await page.locator('.quick-input-widget').first().waitFor({ state: 'hidden', timeout: 10_000 });
    });
  });

  test('the progress notification shows the epoch while it trains; screenshot', { timeout: 90_000 }, async (t) => {
    assert.ok(outDir, 'needs the command started by the previous test');
    progressText = await step(page, 'ft-progress', () => waitForNotification(page, /^BioNER: fine-tuning.*\bepoch \d+/, 60_000));
    const shot = await screenshot(page, 'e2e-fine-tune');
    // still training after the screenshot: the notification was on it
    const after = await notificationTexts(page);
    t.diagnostic(`progress ${Date.now() - startedAt} ms after the command: ${JSON.stringify(progressText)}; after the screenshot: ${JSON.stringify(after)}`);
    assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-fine-tune.png');
    assert.ok(
      after.some((text) => text.startsWith('BioNER: fine-tuning')),
      `training ended before the screenshot was taken (${JSON.stringify(after)}): make it last longer (more --epochs or a bigger --preset in EXTRA_ARGS)`,
    );
    assert.match(progressText, /^BioNER: fine-tuning/);
    assert.match(progressText, /\bepoch \d+ · loss \d+(\.\d+)?\b/);
  });

  test('the final message offers the model; "Use This Model" sets bioner.modelPath', { timeout: 150_000 }, async (t) => {
    assert.ok(outDir, 'needs the command started by the first test');
    const message = await step(page, 'ft-done', () => waitForNotification(page, /model trained/, 130_000));
    const trainedIn = Date.now() - startedAt;
    const progress = (await seenNotifications()).filter((text) => text.startsWith('BioNER: fine-tuning'));
    t.diagnostic(`final message ${trainedIn} ms after the command: ${JSON.stringify(message)}`);
    t.diagnostic(`${progress.length} distinct progress messages, e.g. ${JSON.stringify([...progress.slice(0, 2), ...progress.slice(-3)])}`);
    assert.match(message, /^BioNER: model trained \(dev F1 [\d.]+\) in /);
    assert.ok(message.includes(outDir), `the final message does not name ${outDir}: ${JSON.stringify(message)}`);
    assert.ok(
      progress.some((text) => /\bepoch \d+ · loss \d+(\.\d+)? · dev F1 \d+(\.\d+)?/.test(text)),
      `no progress message showed "epoch N · loss X · dev F1 Y": ${JSON.stringify(progress)}`,
    );

    await step(page, 'ft-use-model', async () => {
      await clickNotificationButton(page, /model trained/, 'Use This Model');
      // the setting lands in .vscode/settings.json
      const deadline = Date.now() + 20_000;
      for (;;) {
        let value: unknown;
        try {
          value = workspaceSettings(workspace)['bioner.modelPath'];
        } catch {
          value = undefined; // mid-write
        }
        if (value !== undefined) break;
        if (Date.now() > deadline) throw new Error(`.vscode/settings.json has no bioner.modelPath 20 s after "Use This Model":\n${readFileSync(path.join(workspace, '.vscode', 'settings.json'), 'utf8')}`);
        await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval for the disk condition
      }
    });
    const settings = workspaceSettings(workspace);
    t.diagnostic(`settings.json: ${JSON.stringify(settings)}`);
    assert.equal(settings['bioner.modelPath'], outDir);
    assert.deepEqual(settings['bioner.training.extraArgs'], EXTRA_ARGS, 'the other workspace settings were lost');
    for (const file of ['config.json', path.join('onnx', 'model.onnx')]) {
      assert.ok(existsSync(path.join(outDir, file)), `the new model folder lacks ${file}`);
    }
  });

  test('the status bar shows the new model on the cpu (no restart)', { timeout: 60_000 }, async (t) => {
    assert.ok(outDir, 'needs the model trained by the previous tests');
    const name = path.basename(outDir);
    const items = await step(page, 'ft-status-bar', () => waitForStatusBarItems(page, [name, 'cpu'], 45_000));
    t.diagnostic(`status bar ${Date.now() - startedAt} ms after the command: ${JSON.stringify(items)}`);
    assert.equal(items.length, 1, `expected one status bar item naming ${name} and cpu: ${JSON.stringify(items)}`);
    assert.match(items[0].id, /bioner\.model$/, `the item is not the extension's bioner.model item: ${JSON.stringify(items)}`);
  });
});
