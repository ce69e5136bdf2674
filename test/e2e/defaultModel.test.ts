// Real-editor end-to-end test of the embedded default model in Markdown: the types of bioner.entityTypes are
// shown ("patient" is no Species by default), an abbreviation's type is named in the hover, and a settings change
// to every type reaches the open editor.
//
//   bash scripts/setup-e2e.sh && npm run package && node --import tsx --test test/e2e/defaultModel.test.ts

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DEFAULT_VSIX as VSIX,
  dismissHover,
  hoverWord,
  launchBrowser,
  openEditor,
  requirePrerequisites,
  screenshot,
  startCodeServer,
  step,
  waitForWords,
  type CodeServer,
} from './codeServer';

// Short lines (none wraps); the model alone leaves the second TTP O, the abbreviation makes it a Disease.
const NOTE = [
  '# Discharge note',
  '',
  'The patient developed thrombotic thrombocytopenic purpura (TTP) after cisplatin.',
  '',
  'On day 4 the TTP resolved and the woman went home.',
  '',
].join('\n');

const skip = requirePrerequisites('default-model end-to-end prerequisites are installed', VSIX);

describe('The default model in Markdown: chosen types and abbreviations (real editor)', { skip, timeout: 300_000 }, () => {
  let workspace = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const settings = (extra: Record<string, unknown>) =>
    writeFileSync(
      path.join(workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'bioner.threads': 1, 'bioner.device': 'cpu', '[markdown]': { 'editor.wordWrap': 'off' }, 'editor.hover.above': false, ...extra }, null, 2),
    );

  before(
    async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-default-ws-'));
      mkdirSync(path.join(workspace, '.vscode'));
      settings({});
      writeFileSync(path.join(workspace, 'note.md'), NOTE);
      server = await startCodeServer({ vsix: VSIX, workspaceFolder: workspace });
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await step(page, 'default-open-editor', () => openEditor(page, server!.url, workspace, 'note.md'));
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  /** Whether a word on the line with `marker` is drawn in another colour than plain prose ("developed"). */
  const highlighted = (word: string, marker: string) => `(() => {
    const hit = words[${JSON.stringify(word)}].find((o) => o.line.includes(${JSON.stringify(marker)}));
    const plain = words.developed[0];
    return !!hit && !!plain && hit.colors[0] !== plain.colors[0];
  })()`;

  test('the default types: cisplatin and TTP are highlighted, "patient" and "woman" are not', { timeout: 120_000 }, async (t) => {
    await step(page, 'default-types', async () => {
      const words = await waitForWords(page, ['cisplatin', 'TTP', 'developed', 'patient', 'woman'], `${highlighted('cisplatin', 'developed')} && ${highlighted('TTP', 'day 4')}`, 120_000);
      const plain = words.developed[0].colors;
      t.diagnostic(`cisplatin ${words.cisplatin[0].colors}, TTP (day 4) ${words.TTP.find((o) => o.line.includes('day 4'))?.colors}, patient ${words.patient[0].colors}, plain ${plain}`);
      assert.deepEqual(words.patient[0].colors, plain, '"patient" is drawn as an entity');
      assert.deepEqual(words.woman[0].colors, plain, '"woman" is drawn as an entity');
    });
  });

  test('the hover of the later TTP names the abbreviation that typed it; screenshot', { timeout: 60_000 }, async (t) => {
    const text = await step(page, 'default-abbreviation-hover', () => hoverWord(page, 'TTP', 'day 4', 'abbreviation'));
    t.diagnostic(`hover: ${JSON.stringify(text)}`);
    assert.match(text, /Disease/);
    assert.match(text, /Type from the abbreviation TTP = thrombotic thrombocytopenic purpura, defined on line 3/);
    const shot = await screenshot(page, 'e2e-default-model');
    assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-default-model.png');
    await dismissHover(page);
  });

  test('bioner.entityTypes ["*"] in the workspace settings: "patient" becomes a Species at once', { timeout: 90_000 }, async () => {
    settings({ 'bioner.entityTypes': ['*'] });
    await step(page, 'default-every-type', () => waitForWords(page, ['patient', 'developed'], highlighted('patient', 'developed'), 60_000));
    const text = await step(page, 'default-species-hover', () => hoverWord(page, 'patient', 'developed', 'Species'));
    assert.match(text, /Species/);
    await screenshot(page, 'e2e-default-model-every-type');
    await dismissHover(page);
  });
});
