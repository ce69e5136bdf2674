// Real-editor end-to-end test of "BioNER: Convert File to Format…": the open BIO file converted to doccano JSONL
// through the command's quick pick and VS Code's own save dialog (code-server's simple dialog, its default path
// accepted), the notification saying what was written, and the file on disk holding each sentence's text and spans.
//
//   bash scripts/setup-e2e.sh && npm run package && node --import tsx --test test/e2e/convert.test.ts

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  DEFAULT_VSIX as VSIX,
  requirePrerequisites,
  runFromCommandPalette,
  startEditorSession,
  step,
  waitForNotification,
  waitForQuickInput,
  type EditorSession,
} from './codeServer';

// In-page code (waitForFunction) runs in the browser.
declare const document: any;

const BIO = ['Cisplatin\tB-Chemical', 'induced\tO', 'renal\tB-Disease', 'failure\tI-Disease', '.\tO', '', 'No\tO', 'toxicity\tB-Disease', '.\tO', ''].join('\n');

const skip = requirePrerequisites('convert end-to-end prerequisites are installed', VSIX);

describe('Convert File to Format… (real editor)', { skip, timeout: 300_000 }, () => {
  let session: EditorSession | undefined;
  let workspace = '';
  let page: Page;

  before(
    async () => {
      session = await startEditorSession({ name: 'convert', vsix: VSIX, files: { 'notes.bio': BIO }, open: 'notes.bio' });
      ({ workspace, page } = session);
    },
    { timeout: 180_000 },
  );

  after(() => session?.close());

  test('the open BIO file to doccano JSONL beside it, through the quick pick and the save dialog', { timeout: 120_000 }, async () => {
    const output = path.join(workspace, 'notes.jsonl');
    await step(page, 'convert-doccano', async () => {
      await runFromCommandPalette(page, 'BioNER: Convert File to Format…', 60_000);
      await waitForQuickInput(page, 'Convert notes.bio to', { focusedRow: 'IOB2' });
      await page.keyboard.type('doccano');
      await waitForQuickInput(page, 'Convert notes.bio to', { focusedRow: 'doccano' });
      await page.keyboard.press('Enter');
      await waitForQuickInput(page, 'Save doccano as', { nonEmptyValue: true });
      // The simple dialog fills in the folder first, then the proposed name.
      await page.waitForFunction(() => /\/notes\.jsonl$/.test(String(document.querySelector('.quick-input-widget input.input')?.value)), undefined, { timeout: 30_000 });
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
