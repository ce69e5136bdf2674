// Real-editor end-to-end test of the report views: a train/dev/test folder is opened in code-server with the test
// model; BioNER: Show Corpus Statistics and BioNER: Evaluate Model on This File are run from the command palette;
// their charts are drawn inside the webview, a score cell lists its errors, an error opens its line in the editor, and
// the export buttons open the report as an untitled Markdown or JSON document.
//
//   bash scripts/setup-e2e.sh           # chromium, Node 24, code-server under .e2e/
//   npm run package                     # dist/bioner.vsix
//   node --import tsx --test --test-timeout=1800000 test/e2e/reports.test.ts
//
// Screenshots: test-results/e2e-corpus-statistics.png (the statistics view), test-results/e2e-evaluation.png (the
// evaluation view with the errors of one score listed).
//
// Missing prerequisites make the test fail, unless BIONER_E2E_SKIP=1.
// BIONER_E2E_VSIX, BIONER_E2E_CODE_SERVER and BIONER_E2E_CHROMIUM override the paths.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { DEFAULT_VSIX as VSIX, editorText, requirePrerequisites, REPO_ROOT, runFromCommandPalette, screenshot, startEditorSession, step, type EditorSession } from './codeServer';

// In-page code (evaluate / waitForFunction) runs in the browser.
declare const document: any;

const TEST_MODEL = path.join(REPO_ROOT, 'test', 'fixtures', 'model');

const CHEMICALS = ['Cisplatin', 'Lithium', 'Heparin', 'Morphine', 'Ibuprofen', 'Haloperidol'];
const DISEASES = [['fever'], ['hepatitis'], ['renal', 'failure'], ['acute', 'renal', 'failure'], ['seizures'], ['myocardial', 'infarction'], ['breast', 'cancer']];
const FILLERS = ['in treated patients', 'after two weeks', 'in a dose - dependent manner', 'in rats', 'despite careful monitoring of the serum levels in every patient of the trial'];

/** "Cisplatin induced acute renal failure in rats ." with Chemical and Disease tags; some sentences name no chemical. */
function sentence(i: number): string {
  const chemical = CHEMICALS[i % CHEMICALS.length];
  const disease = DISEASES[(i * 3) % DISEASES.length];
  const rows: [string, string][] = [];
  if (i % 4 === 3) rows.push(['Patients', 'O'], ['developed', 'O']);
  else rows.push([chemical, 'B-Chemical'], ['induced', 'O']);
  disease.forEach((word, k) => rows.push([word, `${k === 0 ? 'B' : 'I'}-Disease`]));
  for (const word of FILLERS[i % FILLERS.length].split(' ')) rows.push([word, 'O']);
  rows.push(['.', 'O']);
  return rows.map(([word, tag]) => `${word}\t${tag}`).join('\n');
}
const file = (sentences: string[]) => sentences.join('\n\n') + '\n';
/** Train annotates "Aspirin" as a Chemical and, once, as a Disease: a word with two types. */
const ASPIRIN = ['Aspirin\tB-Chemical\nrelieved\tO\nfever\tB-Disease\n.\tO', 'Aspirin\tB-Chemical\nprevented\tO\nseizures\tB-Disease\n.\tO', 'Aspirin\tB-Disease\nwas\tO\nsuspected\tO\n.\tO'];
const TRAIN = file([...Array.from({ length: 30 }, (_, i) => sentence(i)), ...ASPIRIN]);
const DEV = file(Array.from({ length: 10 }, (_, i) => sentence(i + 30)));
/** Test repeats a train sentence word for word: a leak. */
const TEST = file([...Array.from({ length: 9 }, (_, i) => sentence(i + 40)), sentence(2)]);
const DEV_CHEMICALS = (DEV.match(/\tB-Chemical$/gm) ?? []).length;

const skip = requirePrerequisites('end-to-end prerequisites are installed', VSIX);

type ReportKind = 'statistics' | 'evaluation';

/**
 * The page inside the visible webview (code-server nests it in two iframes); while one report replaces another in
 * the same editor group both may be there a moment, so every locator names the report's kind.
 */
function report(page: Page, kind: ReportKind, selector: string) {
  const frame: FrameLocator = page.locator('iframe.webview.ready:visible').first().contentFrame().locator('iframe#active-frame').contentFrame();
  return frame.locator(`.report.${kind} ${selector}`);
}

/** Waits until the report has drawn at least `count` charts; returns how many it has. */
async function waitForCharts(page: Page, kind: ReportKind, count: number, timeoutMs: number): Promise<number> {
  await report(page, kind, 'canvas[data-drawn="true"]').nth(count - 1).waitFor({ state: 'attached', timeout: timeoutMs });
  return report(page, kind, 'canvas[data-drawn="true"]').count();
}

/** Clicks an export button of the report and waits for the untitled document it opens to show `expected`. */
async function exportAndRead(page: Page, kind: ReportKind, format: 'markdown' | 'json', expected: string): Promise<string> {
  const untitled = await page.locator('.tabs-container .tab[aria-label*="Untitled"]').count();
  await report(page, kind, `button.export[data-format="${format}"]`).click();
  await page.locator('.tabs-container .tab[aria-label*="Untitled"]').nth(untitled).waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForFunction(
    (text: string) => [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines')].some((v: any) => String(v.textContent).replace(/\u00a0/g, ' ').includes(text)),
    expected,
    { timeout: 30_000 },
  );
  return editorText(page);
}

describe('BioNER report views in code-server (real editor)', { skip, timeout: 600_000 }, () => {
  let session: EditorSession | undefined;
  let page: Page;

  before(
    async () => {
      session = await startEditorSession({
        name: 'reports',
        vsix: VSIX,
        files: {
          'train.conll': TRAIN,
          'dev.conll': DEV,
          'test.conll': TEST,
          // The small test model (Disease only): it never predicts a Chemical, so dev's chemicals are false negatives. In
          // the workspace's settings: code-server gives an untitled document (the Markdown export) no user-level value of
          // this machine-overridable setting, and the server would switch to the default model for it.
          '.vscode/settings.json': JSON.stringify({ 'bioner.modelPath': TEST_MODEL }),
        },
        open: 'dev.conll',
        settings: { 'bioner.bioPredictions': 'off', 'bioner.threads': 1, 'bioner.workers': 1 },
        viewport: { width: 1440, height: 1100 },
        timeoutMs: 180_000,
      });
      ({ page } = session);
      // Room for the report beside the file.
      await step(page, 'reports-close-side-bar', () => runFromCommandPalette(page, 'View: Close Primary Side Bar', 30_000));
    },
    { timeout: 300_000 },
  );

  after(() => session?.close());

  test('Show Corpus Statistics draws the corpus charts and tables; Export Markdown opens them as an untitled document', { timeout: 240_000 }, async (t) => {
    await step(page, 'reports-statistics', async () => {
      await runFromCommandPalette(page, 'BioNER: Show Corpus Statistics', 60_000);
      // entities per type, entity lengths, sentence lengths, leakage, mentions against train
      const charts = await waitForCharts(page, 'statistics', 5, 120_000);
      t.diagnostic(`charts drawn: ${charts}`);
      const text = await report(page, 'statistics', 'h1').evaluate((h1: any) => String(h1.closest('.report').innerText));
      for (const expected of ['Corpus statistics', 'Entities per type and split', 'Leakage into train', 'Mentions against train', 'Label co-occurrence', 'Aspirin']) {
        assert.ok(text.includes(expected), `the view shows ${JSON.stringify(expected)}`);
      }
      // The heatmap: Chemical and Disease share sentences.
      assert.equal(await report(page, 'statistics', 'table.heatmap td').count(), 4, 'a 2 × 2 co-occurrence table');
      const shot = await screenshot(page, 'e2e-corpus-statistics');
      assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-corpus-statistics.png');

      // A theme change draws the charts again, in the new theme's colours.
      const chart = await report(page, 'statistics', 'canvas').first().elementHandle();
      await runFromCommandPalette(page, 'Preferences: Toggle between Light/Dark Themes', 30_000);
      await chart!.waitForElementState('hidden', { timeout: 30_000 });
      assert.equal(await waitForCharts(page, 'statistics', 5, 30_000), charts);
      await runFromCommandPalette(page, 'Preferences: Toggle between Light/Dark Themes', 30_000);

      const markdown = await exportAndRead(page, 'statistics', 'markdown', '# Corpus statistics');
      assert.match(markdown, /## Label co-occurrence/);
    });
  });

  test('Evaluate Model on This File draws the scores; a score lists its errors, an error opens its line, Export JSON gives the scores', { timeout: 240_000 }, async (t) => {
    await step(page, 'reports-evaluation', async () => {
      await page.locator('.tabs-container .tab[aria-label*="dev.conll"]').first().click();
      await page.waitForSelector('.tabs-container .tab.active[aria-label*="dev.conll"]', { timeout: 10_000 });
      await runFromCommandPalette(page, 'BioNER: Evaluate Model on This File', 60_000);
      assert.equal(await waitForCharts(page, 'evaluation', 2, 180_000), 2, 'per type and per length');
      // The model finds none of dev's chemicals: each is a false negative of Chemical's strict recall.
      await report(page, 'evaluation', 'button.score[data-cell="type:Chemical|strict|recall"]').click();
      const items = report(page, 'evaluation', '.error-list li');
      await items.first().waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await items.count(), DEV_CHEMICALS);
      const heading = await report(page, 'evaluation', '.errors h3').innerText();
      t.diagnostic(`errors heading: ${heading}`);
      assert.ok(heading.includes(`${DEV_CHEMICALS} false negatives`), heading);
      // The scores and the listed errors in view.
      await report(page, 'evaluation', '.card.wide h2').evaluate((h2: any) => h2.scrollIntoView());
      const shot = await screenshot(page, 'e2e-evaluation');
      assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-evaluation.png');

      // The third error's line becomes the editor's (the selection covers the entity's token lines).
      const third = await items.nth(2).innerText();
      const line = Number(/line (\d+)/.exec(third)![1]);
      await items.nth(2).locator('button').click();
      await page.waitForFunction(
        (ln: number) => [...document.querySelectorAll('.statusbar-item')].some((e: any) => new RegExp(`\\bLn ${ln}, Col \\d+`).test(String(e.textContent))),
        line,
        { timeout: 30_000 },
      );
      assert.ok((await page.locator('.tabs-container .tab.active[aria-label*="dev.conll"]').count()) > 0, 'dev.conll is the active editor');

      const json = await exportAndRead(page, 'evaluation', 'json', '"strict"');
      assert.match(json, /"perType"/);
    });
  });
});
