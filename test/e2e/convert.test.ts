// Real-editor end-to-end test of "BioNER: Convert File to Format…": the open BIO file converted to doccano JSONL
// through the command's quick pick and VS Code's own save dialog (code-server's simple dialog, its default path
// accepted), the notification saying what was written, and the file on disk holding each sentence's text and spans.
//
//   bash scripts/setup-e2e.sh && npm run package && node --import tsx --test test/e2e/convert.test.ts

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  openEditor,
  REPO_ROOT,
  requirePrerequisites,
  runFromCommandPalette,
  startCodeServer,
  step,
  waitForNotification,
  waitForQuickInput,
  type CodeServer,
} from './codeServer';

const VSIX = process.env.BIONER_E2E_VSIX ?? path.join(REPO_ROOT, 'dist', 'bioner.vsix');

const BIO = ['Cisplatin\tB-Chemical', 'induced\tO', 'renal\tB-Disease', 'failure\tI-Disease', '.\tO', '', 'No\tO', 'toxicity\tB-Disease', '.\tO', ''].join('\n');

const skip = requirePrerequisites('convert end-to-end prerequisites are installed', VSIX);

describe('Convert File to Format… (real editor)', { skip, timeout: 300_000 }, () => {
  let workspace = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(
    async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-convert-ws-'));
      writeFileSync(path.join(workspace, 'notes.bio'), BIO);
      server = await startCodeServer({ vsix: VSIX, workspaceFolder: workspace });
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await step(page, 'convert-open-editor', () => openEditor(page, server!.url, workspace, 'notes.bio'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('the open BIO file to doccano JSONL beside it, through the quick pick and the save dialog', { timeout: 120_000 }, async () => {
    const output = path.join(workspace, 'notes.jsonl');
    await step(page, 'convert-doccano', async () => {
      await runFromCommandPalette(page, 'BioNER: Convert File to Format…', 60_000);
      await waitForQuickInput(page, 'Convert notes.bio to', { focusedRow: 'IOB2' });
      await page.keyboard.type('doccano');
      await waitForQuickInput(page, 'Convert notes.bio to', { focusedRow: 'doccano' });
      await page.keyboard.press('Enter');
      const proposed = await waitForQuickInput(page, 'Save doccano as', { nonEmptyValue: true });
      assert.match(proposed, /notes\.jsonl$/);
      await page.keyboard.press('Enter');
      await waitForNotification(page, /wrote notes\.jsonl \(3 entities\)/, 30_000);
    });
    assert.ok(existsSync(output));
    const records = readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(records, [
      { text: 'Cisplatin induced renal failure .', label: [[0, 9, 'Chemical'], [18, 31, 'Disease']] },
      { text: 'No toxicity .', label: [[3, 11, 'Disease']] },
    ]);
    assert.equal(readFileSync(path.join(workspace, 'notes.bio'), 'utf8'), BIO, 'the input is unchanged');
  });
});
