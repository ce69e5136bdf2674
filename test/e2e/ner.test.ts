// Real-editor end-to-end test of the NER model: the packaged extension
// (dist/bioner.vsix) in code-server, driven by headless Chromium, predicts
// diseases in a Markdown file with the test model.
//
//   bash scripts/setup-e2e.sh           # chromium, Node 24, code-server under .e2e/
//   npm run package                     # dist/bioner.vsix
//   node --import tsx --test test/e2e/ner.test.ts
//
// The model is TEST_MODEL of test/support/fixtures.ts (test/fixtures/model, or
// $BIONER_TEST_MODEL), a model trained on NCBI-disease (one type: Disease).
// Missing prerequisites make the test fail, unless BIONER_E2E_SKIP=1.
// BIONER_E2E_VSIX, BIONER_E2E_CODE_SERVER and BIONER_E2E_CHROMIUM override the paths.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TEST_MODEL } from '../support/fixtures';
import {
  DEFAULT_VSIX as VSIX,
  DEFAULT_CHROMIUM,
  DEFAULT_CODE_SERVER,
  dismissHover,
  hoverWord,
  launchBrowser,
  openEditor,
  REPO_ROOT,
  screenshot,
  startCodeServer,
  step,
  waitForStatusBarItems,
  waitForWords,
  type CodeServer,
  type WordOccurrence,
} from './codeServer';

// In-page code (waitForFunction) runs in the browser.
declare const document: any;

const SKIP = process.env.BIONER_E2E_SKIP === '1';
const MODEL = path.resolve(TEST_MODEL);
const MODEL_NAME = path.basename(MODEL);

// Lines are short so that none wraps; every line that holds the disease
// words is unique, and tests find a word's occurrence by a marker on its line.
// The prose comes last so that the hover (opened below it) hides nothing in
// the screenshot.
const PROSE = 'Patients with Duchenne muscular dystrophy and breast cancer were treated.';
const FRONT_MATTER = 'title: Duchenne muscular dystrophy and breast cancer';
const CODE = 'Duchenne muscular dystrophy and breast cancer in a code block';
const URL_LINE = 'Registry: https://example.org/Duchenne/dystrophy/breast/cancer';
const NOTES = [
  '---',
  FRONT_MATTER,
  '---',
  '',
  '# Clinical notes',
  '',
  'Both groups were followed for five years.',
  '',
  '```text',
  CODE,
  '```',
  '',
  URL_LINE,
  '',
  PROSE,
  '',
].join('\n');

/** Where the disease words are not prose, and a non-disease word of the same context (same TextMate colour). */
const MASKED: { name: string; marker: string; neighbour: string }[] = [
  { name: 'front matter', marker: 'title:', neighbour: 'and' },
  { name: 'code block', marker: 'code block', neighbour: 'and' },
  { name: 'URL', marker: 'Registry:', neighbour: 'example' },
];
const DISEASE_WORDS = ['Duchenne', 'dystrophy', 'cancer'];

function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(VSIX)) missing.push(`extension package ${path.relative(REPO_ROOT, VSIX)} (run \`npm run package\`)`);
  if (!existsSync(DEFAULT_CODE_SERVER)) missing.push(`code-server ${DEFAULT_CODE_SERVER} (run \`bash scripts/setup-e2e.sh\`)`);
  if (!existsSync(DEFAULT_CHROMIUM)) missing.push(`chromium ${DEFAULT_CHROMIUM} (run \`bash scripts/setup-e2e.sh\`)`);
  const modelFiles = ['config.json', 'tokenizer.json', path.join('onnx', 'model.onnx')].filter((f) => !existsSync(path.join(MODEL, f)));
  if (modelFiles.length > 0) {
    missing.push(`test model ${MODEL} lacks ${modelFiles.join(', ')} (make it with training/make_test_model.py, or set BIONER_TEST_MODEL to a model folder)`);
  }
  return missing;
}

const missing = missingPrerequisites();

// Fails (is not skipped) when something is missing, unless BIONER_E2E_SKIP=1.
test('NER end-to-end prerequisites are installed', { skip: SKIP && missing.length > 0 ? `BIONER_E2E_SKIP=1, missing: ${missing.join('; ')}` : false }, () => {
  assert.deepEqual(missing, [], `NER end-to-end prerequisites missing:\n  - ${missing.join('\n  - ')}\n(set BIONER_E2E_SKIP=1 to skip instead)`);
});

const skip = missing.length > 0 ? `prerequisites missing: ${missing.join('; ')}` : false;

/** The occurrence of `word` on the rendered line that contains `marker`. */
function on(occurrences: WordOccurrence[], marker: string): WordOccurrence | undefined {
  return occurrences.find((o) => o.line.includes(marker));
}

describe('BioNER model predictions in Markdown (real editor)', { skip, timeout: 300_000 }, () => {
  let workspace = '';
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let openedAt = 0;
  /** Colour of a predicted Disease entity, found by the first test. */
  let entityColor = '';

  before(
    async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'bioner-e2e-ner-ws-'));
      mkdirSync(path.join(workspace, '.vscode'));
      writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify(
          {
            'bioner.modelPath': MODEL,
            'bioner.threads': 1,
            // the status bar assertion names the device
            'bioner.device': 'cpu',
            // Markdown wraps long lines by default; one rendered line per line keeps the lookups simple
            '[markdown]': { 'editor.wordWrap': 'off' },
            // hovers open below the line, over the empty end of the file, not over the masked lines
            'editor.hover.above': false,
          },
          null,
          2,
        ),
      );
      writeFileSync(path.join(workspace, 'notes.md'), NOTES);
      server = await startCodeServer({ vsix: VSIX, workspaceFolder: workspace });
      browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await step(page, 'ner-open-editor', () => openEditor(page, server!.url, workspace, 'notes.md'));
      openedAt = Date.now();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('predicted diseases in prose are highlighted', { timeout: 90_000 }, async (t) => {
    await step(page, 'ner-prose-colors', async () => {
      // plain Markdown prose has the editor's default foreground; a predicted
      // entity gets the bioDisease semantic token (modifier predicted) colour
      const words = await waitForWords(
        page,
        ['dystrophy', 'Patients'],
        `(() => {
          const entity = words.dystrophy.find((o) => o.line.includes('Patients with'));
          const plain = words.Patients[0];
          return !!entity && !!plain && entity.colors.length === 1 && plain.colors.length === 1 && entity.colors[0] !== plain.colors[0];
        })()`,
        90_000,
      );
      t.diagnostic(`first predictions coloured ${Date.now() - openedAt} ms after the editor opened`);
      const entity = on(words.dystrophy, 'Patients with');
      const plain = words.Patients[0];
      assert.ok(entity && plain, `rendered words not found: ${JSON.stringify(words)}`);
      const foreground = (await page.evaluate(`String(getComputedStyle(document.querySelector('.editor-instance .monaco-editor .view-lines')).color)`)) as string;
      t.diagnostic(`prose "dystrophy": ${entity.colors}; prose "Patients": ${plain.colors}; editor foreground: ${foreground}`);
      assert.deepEqual(plain.colors, [foreground], 'plain prose should have the default foreground colour');
      assert.equal(entity.colors.length, 1, `"dystrophy" in prose is drawn in several colours: ${entity.colors}`);
      assert.notEqual(entity.colors[0], plain.colors[0], `predicted "dystrophy" has the colour of plain prose: ${entity.colors[0]}`);
      entityColor = entity.colors[0];
    });
  });

  test('disease words in front matter, code and URLs are not highlighted', { timeout: 60_000 }, async (t) => {
    assert.ok(entityColor, 'needs the entity colour of the previous test');
    await step(page, 'ner-masked-colors', async () => {
      const words = await waitForWords(page, [...DISEASE_WORDS, 'and', 'example'], 'true', 5_000);
      for (const { name, marker, neighbour } of MASKED) {
        const context = on(words[neighbour], marker);
        assert.ok(context, `no rendered "${neighbour}" in the ${name} (line with ${JSON.stringify(marker)})`);
        for (const word of DISEASE_WORDS) {
          const hit = on(words[word], marker);
          assert.ok(hit, `no rendered "${word}" in the ${name} (line with ${JSON.stringify(marker)})`);
          t.diagnostic(`${name}: "${word}" ${hit.colors}, "${neighbour}" ${context.colors}`);
          assert.ok(!hit.colors.includes(entityColor), `"${word}" in the ${name} has the predicted-entity colour ${entityColor}`);
          assert.deepEqual(hit.colors, context.colors, `"${word}" in the ${name} is not coloured like "${neighbour}" beside it`);
        }
      }
    });
  });

  test('hovering a predicted entity shows its type and confidence; screenshot', { timeout: 60_000 }, async (t) => {
    const text = await step(page, 'ner-hover', () => hoverWord(page, 'dystrophy', 'Patients with', 'Confidence'));
    t.diagnostic(`hover: ${JSON.stringify(text)}`);
    assert.match(text, /\(predicted\)/);
    assert.match(text, /Confidence \d+(\.\d+)?%/);
    assert.match(text, /Disease/);
    const shot = await screenshot(page, 'e2e-markdown');
    assert.ok(shot && existsSync(shot), 'could not save test-results/e2e-markdown.png');
    await dismissHover(page);
  });

  test('the status bar shows the model and the device', { timeout: 60_000 }, async (t) => {
    const text = await step(page, 'ner-status-bar', () => waitForStatusBarItems(page, [MODEL_NAME, 'cpu']));
    t.diagnostic(`status bar: ${JSON.stringify(text)}`);
    assert.equal(text.length, 1, `expected one status bar item naming ${MODEL_NAME} and cpu: ${JSON.stringify(text)}`);
    assert.match(text[0].id, /bioner\.model$/, `the item is not the extension's bioner.model item: ${JSON.stringify(text)}`);
  });
});
