// Real-editor end-to-end test of the corpus consistency checks: a train/dev/test folder with planted problems
// (a word train annotates 10× and dev/test leave O, a type conflict, a sentence leaked from train into test) is
// opened in code-server; dev.conll shows the findings as squiggles and in the Problems panel with their related
// places in train.conll, and the bulk quick fix goes through VS Code's Refactor Preview (its changes need
// confirmation, so VS Code lists them unticked: tick both files, Apply) and Save All to disk.
//
//   bash scripts/setup-e2e.sh           # chromium, Node 24, code-server under .e2e/
//   npm run package                     # dist/bioner.vsix
//   node --import tsx --test --test-timeout=1800000 test/e2e/corpus.test.ts
//
// Screenshots: test-results/e2e-corpus-problems.png (squiggles, Problems panel with related rows),
// test-results/e2e-corpus-hover.png (the hover's related information), test-results/e2e-corpus-refactor-preview.png.
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
  dismissHover,
  hoverWord,
  launchBrowser,
  openEditor,
  quickFixLabels,
  requirePrerequisites,
  runFromCommandPalette,
  screenshot,
  startCodeServer,
  step,
  waitForSquiggles,
  type CodeServer,
} from './codeServer';

// In-page code (evaluate / waitForFunction) runs in the browser.
declare const document: any;

const sentence = (...tokens: [string, string][]): string => tokens.map(([word, tag]) => `${word}\t${tag}`).join('\n');
const file = (sentences: string[]): string => sentences.join('\n\n') + '\n';

const SYMPTOMS = ['fever', 'pain', 'headache', 'swelling', 'cough', 'cramps', 'stiffness', 'soreness', 'nausea', 'dizziness'];
/** In train and, word for word with the same tags, in test: a split leak. */
const LEAKED = sentence(['Ibuprofen', 'B-Chemical'], ['eased', 'O'], ['the', 'O'], ['migraine', 'B-Disease'], ['quickly', 'O'], ['.', 'O']);
/**
 * Train annotates "aspirin" as Chemical 10× and "cisplatin" as Chemical 4×. Dev and test leave aspirin O three
 * times (10 of 13 occurrences annotated: above the 0.75 share), dev calls cisplatin a Disease once (4 of 5).
 */
const TRAIN = file([
  ...SYMPTOMS.map((symptom) => sentence(['Aspirin', 'B-Chemical'], ['relieved', 'O'], [symptom, 'B-Disease'], ['.', 'O'])),
  ...SYMPTOMS.slice(0, 4).map((symptom) => sentence(['Cisplatin', 'B-Chemical'], ['caused', 'O'], [symptom, 'B-Disease'], ['.', 'O'])),
  LEAKED,
]);
const DEV = file([
  sentence(['We', 'O'], ['gave', 'O'], ['aspirin', 'O'], ['daily', 'O'], ['.', 'O']),
  sentence(['Then', 'O'], ['cisplatin', 'B-Disease'], ['was', 'O'], ['stopped', 'O'], ['.', 'O']),
  sentence(['Aspirin', 'O'], ['was', 'O'], ['withheld', 'O'], ['later', 'O'], ['.', 'O']),
]);
const TEST = file([sentence(['Patients', 'O'], ['took', 'O'], ['aspirin', 'O'], ['twice', 'O'], ['.', 'O']), LEAKED]);

/** 1-based line of `text` in `content`. */
const lineOf = (content: string, text: string): number => content.split('\n').indexOf(text) + 1;
const ASPIRIN_LINE = lineOf(DEV, 'aspirin\tO'); // 3
const UNANNOTATED = "'aspirin' is annotated Chemical 10×; O here and 2× elsewhere";
const CONFLICT = "'cisplatin' is annotated Chemical 4×, Disease 1×; Disease here";
const BULK_FIX = "Annotate all 3 unannotated occurrences of 'aspirin' as Chemical";
/** What the bulk fix must leave on disk: the three O tags of aspirin become B-Chemical, nothing else changes. */
const DEV_FIXED = DEV.replace('aspirin\tO', 'aspirin\tB-Chemical').replace('Aspirin\tO', 'Aspirin\tB-Chemical');
const TEST_FIXED = TEST.replace('aspirin\tO', 'aspirin\tB-Chemical');

const skip = requirePrerequisites('end-to-end prerequisites are installed', VSIX);

interface ProblemRow {
  /** aria-level: 1 a file, 2 a diagnostic, 3 one of its related places. */
  level: number;
  expanded: string | null;
  text: string;
  /** A related place's file name and "[Ln 1, Col 1]". */
  resource: string;
  line: string;
}

/** The rendered rows of the Problems panel, top to bottom. */
function problemRows(page: Page): Promise<ProblemRow[]> {
  return page.evaluate(() =>
    ([...document.querySelectorAll('.markers-panel .monaco-list-row')] as any[])
      .sort((a, b) => parseFloat(a.style.top || '0') - parseFloat(b.style.top || '0'))
      .map((row) => ({
        level: Number(row.getAttribute('aria-level')),
        expanded: row.getAttribute('aria-expanded'),
        text: String(row.textContent).replace(/\u00a0/g, ' ').trim(),
        resource: String(row.querySelector('.related-info-resource')?.textContent ?? ''),
        line: String(row.querySelector('.marker-line')?.textContent ?? ''),
      })),
  );
}

/** Waits until the file at `file` reads `expected` (polls the disk: the editor writes it asynchronously). */
async function waitForFileContent(file: string, expected: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = readFileSync(file, 'utf8');
    if (now === expected) return;
    if (Date.now() > deadline) assert.equal(now, expected, `${path.basename(file)} on disk after Apply and Save All`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval for the disk condition
  }
}

describe('BioNER corpus consistency in code-server (real editor)', { skip, timeout: 600_000 }, () => {
  let workspace = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const at = (name: string): string => path.join(workspace, name);

  before(
    async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-corpus-ws-'));
      writeFileSync(at('train.conll'), TRAIN);
      writeFileSync(at('dev.conll'), DEV);
      writeFileSync(at('test.conll'), TEST);
      // The bundled default model (bioner.modelPath empty); its inlay hints in BIO files are off, so the editor
      // shows only the corpus findings and a 2-core machine is not busy running the model.
      server = await startCodeServer({
        vsix: VSIX,
        workspaceFolder: workspace,
        settings: { 'bioner.bioPredictions': 'off', 'bioner.threads': 1 },
        timeoutMs: 180_000,
      });
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      await step(page, 'corpus-open-editor', () => openEditor(page, server!.url, workspace, 'dev.conll', 180_000));
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('dev.conll shows the corpus findings as squiggles: a type conflict (warning) and two unannotated occurrences (information)', { timeout: 180_000 }, async () => {
    await step(page, 'corpus-squiggles', async () => {
      // the corpus is indexed in a worker after the server starts: generous limits for a loaded 2-core machine
      const warnings = await waitForSquiggles(page, 1, 150_000, '.squiggly-warning');
      // the default model may add its own information squiggle (model-disagreement on cisplatin): at least 2
      const infos = await waitForSquiggles(page, 2, 60_000, '.squiggly-info');
      assert.equal(warnings, 1, 'one warning squiggle: the cisplatin type conflict');
      assert.ok(infos >= 2, `information squiggles for aspirin left O twice, got ${infos}`);
    });
  });

  test('the Problems panel lists the findings with their related places in train.conll as child rows', { timeout: 120_000 }, async (t) => {
    await step(page, 'corpus-problems', async () => {
      await runFromCommandPalette(page, 'Problems: Focus on Problems View', 60_000);
      await page.locator('.markers-panel .monaco-list-row', { hasText: UNANNOTATED }).first().waitFor({ state: 'visible', timeout: 60_000 });
      // related places are child rows of their diagnostic; expand a diagnostic row whose children are collapsed
      const collapsed = page.locator('.markers-panel .monaco-list-row[aria-level="2"][aria-expanded="false"] .monaco-tl-twistie');
      for (let i = 0; i < 10 && (await collapsed.count()) > 0; i++) await collapsed.first().click();
      await page.waitForFunction(
        () => ([...document.querySelectorAll('.markers-panel .monaco-list-row[aria-level="3"]')] as any[]).some((r) => String(r.textContent).includes('train.conll')),
        undefined,
        { timeout: 30_000 },
      );
      const rows = await problemRows(page);
      t.diagnostic(`Problems rows: ${JSON.stringify(rows.map((r) => `${r.level} ${r.text}`))}`);

      assert.ok(rows.some((r) => r.level === 1 && r.text.includes('dev.conll')), 'a file row for dev.conll');
      const findings = rows.filter((r) => r.level === 2);
      assert.ok(findings.some((r) => r.text.includes(CONFLICT) && r.text.includes('type-conflict') && r.text.includes('[Ln 8, Col 1]')), 'the type conflict on line 8');
      const unannotated = findings.filter((r) => r.text.includes('unannotated-occurrence'));
      assert.deepEqual(
        unannotated.map((r) => r.line),
        [`[Ln ${ASPIRIN_LINE}, Col 1]`, '[Ln 13, Col 1]'],
        'the two unannotated occurrences of aspirin in dev.conll',
      );
      assert.ok(unannotated[0].text.includes(UNANNOTATED), unannotated[0].text);

      // the rows under the first aspirin finding: the majority places, in train.conll
      const first = rows.findIndex((r) => r.level === 2 && r.line === `[Ln ${ASPIRIN_LINE}, Col 1]`);
      const children: ProblemRow[] = [];
      for (const r of rows.slice(first + 1)) {
        if (r.level !== 3) break;
        children.push(r);
      }
      assert.ok(children.length > 0, 'the aspirin finding has related rows');
      for (const child of children) {
        assert.equal(child.resource, 'train.conll', JSON.stringify(child));
        assert.match(child.text, /Annotated Chemical here/);
      }
      assert.equal(children[0].line, '[Ln 1, Col 1]', 'the first related place is the first aspirin of train.conll');

      const shot = await screenshot(page, 'e2e-corpus-problems');
      assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-corpus-problems.png');
    });
  });

  test('hovering the flagged aspirin shows the finding and its related places in train.conll', { timeout: 90_000 }, async () => {
    await step(page, 'corpus-hover', async () => {
      const text = await hoverWord(page, 'aspirin', 'aspirin', UNANNOTATED, 60_000);
      assert.ok(text.includes('train.conll'), `the hover names train.conll: ${JSON.stringify(text)}`);
      assert.match(text, /Annotated Chemical here/);
      const shot = await screenshot(page, 'e2e-corpus-hover');
      assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-corpus-hover.png');
      await dismissHover(page);
    });
  });

  test('the bulk fix opens the Refactor Preview; Apply and Save All write the three B-Chemical tags to dev.conll and test.conll', { timeout: 240_000 }, async (t) => {
    await step(page, 'corpus-bulk-fix', async () => {
      const labels = await quickFixLabels(page, ASPIRIN_LINE, 1, 60_000);
      t.diagnostic(`quick fixes: ${JSON.stringify(labels)}`);
      assert.ok(labels.some((l) => l.startsWith('Annotate as Chemical (as 10× elsewhere)')), JSON.stringify(labels));
      assert.ok(labels.some((l) => l.startsWith(BULK_FIX)), JSON.stringify(labels));
      await page.locator('.action-widget .monaco-list-row.action', { hasText: BULK_FIX }).first().click();

      // the edit asks for review: the Refactor Preview lists both files and waits for Apply
      const panel = page.locator('.bulk-edit-panel[data-state="data"]');
      await panel.waitFor({ state: 'visible', timeout: 60_000 });
      for (const name of ['dev.conll', 'test.conll']) {
        await panel.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 30_000 });
      }
      const apply = panel.locator('.buttons .monaco-button', { hasText: 'Apply' }).first();
      await apply.waitFor({ state: 'visible', timeout: 30_000 });
      const previewRows = await panel.locator('.monaco-list-row').allTextContents();
      t.diagnostic(`Refactor Preview rows: ${JSON.stringify(previewRows)}`);
      assert.equal(readFileSync(at('dev.conll'), 'utf8'), DEV, 'nothing is written before Apply');
      assert.equal(await page.locator('.tabs-container .tab.dirty').count(), 0, 'no editor is dirty before Apply');

      // VS Code lists changes whose annotation needs confirmation unchecked: Apply alone would apply nothing. The
      // user ticks each file (which ticks its changes), then applies.
      const checkboxes = panel.locator('.monaco-list-row .edit-checkbox');
      t.diagnostic(`checked before ticking: ${JSON.stringify(await checkboxes.evaluateAll((boxes: any[]) => boxes.map((b) => b.getAttribute('aria-checked'))))}`);
      for (const name of ['dev.conll', 'test.conll']) {
        const box = panel.locator('.monaco-list-row[aria-level="1"]', { hasText: name }).locator('.edit-checkbox').first();
        if ((await box.getAttribute('aria-checked')) !== 'true') await box.click();
      }
      await page.waitForFunction(
        () => {
          const boxes = [...document.querySelectorAll('.bulk-edit-panel .monaco-list-row .edit-checkbox')] as any[];
          return boxes.length >= 5 && boxes.every((b) => b.getAttribute('aria-checked') === 'true');
        },
        undefined,
        { timeout: 30_000 },
      );
      const shot = await screenshot(page, 'e2e-corpus-refactor-preview');
      assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-corpus-refactor-preview.png');

      await apply.click();
      await panel.waitFor({ state: 'hidden', timeout: 30_000 });
      // dev.conll's editor shows the change (VS Code saves a refactoring's files itself unless
      // files.refactoring.autoSave is off; Save All writes whatever is left dirty)
      await page.waitForFunction(
        () => {
          const view = document.querySelector('.editor-instance .monaco-editor .view-lines');
          const text = view ? String(view.textContent).replace(/\u00a0/g, ' ') : '';
          return /aspirin\s+B-Chemical/.test(text) && /Aspirin\s+B-Chemical/.test(text);
        },
        undefined,
        { timeout: 30_000 },
      );
      await runFromCommandPalette(page, 'File: Save All', 60_000);
      await waitForFileContent(at('dev.conll'), DEV_FIXED, 60_000);
      await waitForFileContent(at('test.conll'), TEST_FIXED, 60_000);
      assert.equal(readFileSync(at('train.conll'), 'utf8'), TRAIN, 'train.conll is unchanged');
      await page.waitForSelector('.tabs-container .tab.dirty', { state: 'detached', timeout: 30_000 });

      // the index follows the edit: aspirin is no longer flagged in the Problems panel, the type conflict still is
      await runFromCommandPalette(page, 'Problems: Focus on Problems View', 60_000);
      await page.waitForFunction(
        () => {
          const rows = ([...document.querySelectorAll('.markers-panel .monaco-list-row')] as any[]).map((r) => String(r.textContent));
          return rows.some((r) => r.includes('type-conflict')) && !rows.some((r) => r.includes('unannotated-occurrence'));
        },
        undefined,
        { timeout: 90_000 },
      );
      assert.equal(await waitForSquiggles(page, 1, 30_000, '.squiggly-warning'), 1);
    });
  });
});
