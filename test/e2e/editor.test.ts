// Real-editor end-to-end test: the packaged extension (dist/bioner.vsix) in
// code-server, driven by headless Chromium.
//
//   bash scripts/setup-e2e.sh           # chromium, Node 24, code-server under .e2e/
//   npm run package                     # dist/bioner.vsix
//   node --import tsx --test test/e2e/*.test.ts
//
// Missing prerequisites make the test fail, unless BIONER_E2E_SKIP=1.
// BIONER_E2E_VSIX, BIONER_E2E_CODE_SERVER and BIONER_E2E_CHROMIUM override the paths.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DEFAULT_VSIX as VSIX,
  applyQuickFix,
  dismissHover,
  hoverText,
  launchBrowser,
  openEditor,
  requirePrerequisites,
  screenshot,
  startCodeServer,
  step,
  waitForSquiggles,
  waitForTokenColors,
  type CodeServer,
} from './codeServer';

const FIXTURE = [
  'Treatment\tO',
  'with\tO',
  'aspirin\tB-Chemical',
  'reduced\tO',
  'hypertension\tB-Disease',
  'in\tO',
  'patients\tO',
  '.\tO',
  '',
  'High\tO',
  'fever\tI-Disease',
  'was\tO',
  'seen\tB_Disease',
  '.\tO',
  '',
].join('\n');
const FEVER_LINE = FIXTURE.split('\n').indexOf('fever\tI-Disease') + 1; // 1-based
const FEVER_TAG_COLUMN = 'fever\t'.length + 1; // on the I-Disease tag

const skip = requirePrerequisites('end-to-end prerequisites are installed', VSIX);

describe('BioNER in code-server (real editor)', { skip, timeout: 240_000 }, () => {
  let workspace = '';
  let file = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(
    async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-ws-'));
      file = path.join(workspace, 'errors.bio');
      writeFileSync(file, FIXTURE);
      server = await startCodeServer({ vsix: VSIX, workspaceFolder: workspace });
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await step(page, 'open-editor', () => openEditor(page, server!.url, workspace, 'errors.bio'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('the language server reports errors as squiggles', { timeout: 60_000 }, async () => {
    const count = await step(page, 'squiggles', () => waitForSquiggles(page, 2));
    assert.ok(count >= 2, `expected at least 2 error squiggles, got ${count}`);
  });

  test('hovering an entity token shows its type', { timeout: 60_000 }, async () => {
    const text = await step(page, 'hover', () => hoverText(page, 'aspirin', 'Chemical'));
    assert.match(text, /Chemical/);
    await dismissHover(page);
  });

  test('entity tokens are coloured by type (semantic tokens)', { timeout: 60_000 }, async (t) => {
    await step(page, 'colors', async () => {
      // TextMate alone colours every token alike; different colours come from the server's semantic tokens
      const colors = await waitForTokenColors(page, ['aspirin', 'patients', 'hypertension']);
      t.diagnostic(`colours: ${JSON.stringify(colors)}`);
      assert.notEqual(colors.aspirin, colors.patients, `Chemical token and O token have the same colour: ${JSON.stringify(colors)}`);
      assert.notEqual(colors.aspirin, colors.hypertension, `Chemical token and Disease token have the same colour: ${JSON.stringify(colors)}`);
    });
  });

  test('screenshot of the editor with squiggles and colours', { timeout: 30_000 }, async () => {
    const shot = await screenshot(page, 'e2e-editor');
    assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-editor.png');
  });

  test('the invalid-start quick fix rewrites I-Disease to B-Disease', { timeout: 90_000 }, async () => {
    const content = await step(page, 'quick-fix', () =>
      applyQuickFix(page, { line: FEVER_LINE, column: FEVER_TAG_COLUMN, labelPrefix: 'Change to B-Disease', file }),
    );
    assert.match(content, /^fever\tB-Disease$/m);
    assert.equal(readFileSync(file, 'utf8'), FIXTURE.replace('fever\tI-Disease', 'fever\tB-Disease'));
  });
});
