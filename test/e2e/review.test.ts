// Real-editor end-to-end test of "BioNER: Review Likely Label Errors" with the embedded default model: a BIO file
// with three planted label errors (a Chemical dropped, a Chemical typed Disease, a Disease dropped) in sentences the
// model otherwise agrees with. The review lists exactly those three; the first is accepted (the file changes, and
// is saved), the second rejected, the third skipped; a second review shows only the skipped one, since rejections
// are remembered in .bioner/review-decisions.json.
//
//   bash scripts/setup-e2e.sh && npm run package && node --import tsx --test test/e2e/review.test.ts
//
// Screenshot: test-results/e2e-review.png (the first item: its region in the editor, the sentence in the pick).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  DEFAULT_VSIX as VSIX,
  requirePrerequisites,
  runFromCommandPalette,
  screenshot,
  startEditorSession,
  step,
  waitForNotification,
  waitForQuickInput,
  type EditorSession,
} from './codeServer';

/** BC5CDR test sentences (word/TAG, O left bare) the default model tags as their gold does. */
const CLEAN = [
  '7e exhibits a high reversal of catalepsy/B-Disease induced by haloperidol/B-Chemical indicating its atypical antipsychotic nature .',
  'Neuroleptic drugs such as haloperidol/B-Chemical , which block dopamine/B-Chemical receptors , also cause catalepsy/B-Disease in rodents .',
  'CONCLUSION : Tacrolimus/B-Chemical and other immunosuppressive agents may be associated with optic/B-Disease nerve/I-Disease toxicity/I-Disease .',
  'Downbeat/B-Disease nystagmus/I-Disease associated with intravenous patient - controlled administration of morphine/B-Chemical .',
  'Efficacy of olanzapine/B-Chemical in acute bipolar/B-Disease mania/I-Disease : a double - blind , placebo - controlled study .',
];
/** The planted errors, by the words of the item that should report each. */
const PLANTED: Record<string, [from: string, to: string]> = {
  haloperidol: ['haloperidol/B-Chemical indicating', 'haloperidol indicating'],
  Tacrolimus: ['Tacrolimus/B-Chemical', 'Tacrolimus/B-Disease'],
  'Downbeat nystagmus': ['Downbeat/B-Disease nystagmus/I-Disease', 'Downbeat nystagmus'],
};
const bio = (sentences: string[]) =>
  sentences.map((s) => s.split(' ').map((token) => (/\/[BI]-\w+$/.test(token) ? token.replace(/\/(?=[BI]-\w+$)/, '\t') : `${token}\tO`)).join('\n') + '\n').join('\n');
const plant = (sentences: string[], words: string[]) => sentences.map((s) => words.reduce((text, w) => text.replace(...PLANTED[w]), s));

const skip = requirePrerequisites('review end-to-end prerequisites are installed', VSIX);

describe('Review Likely Label Errors: accept, reject, skip (real editor)', { skip, timeout: 420_000 }, () => {
  const noisy = bio(plant(CLEAN, Object.keys(PLANTED)));
  const order: string[] = [];
  let session: EditorSession | undefined;
  let workspace = '';
  let page: Page;

  before(
    async () => {
      const files = { '.vscode/settings.json': JSON.stringify({ 'bioner.threads': 1, 'bioner.device': 'cpu' }), 'dev.bio': noisy };
      session = await startEditorSession({ name: 'review', vsix: VSIX, files, open: 'dev.bio' });
      ({ workspace, page } = session);
    },
    { timeout: 180_000 },
  );

  after(() => session?.close());

  /** Waits for item `n` of `total`, picks the row `choice` and returns the item's words (from the title). */
  async function decide(n: number, total: number, choice: 'Accept' | 'Reject' | 'Skip', shot?: string): Promise<string> {
    const title = `Likely label error ${n} of ${total}`;
    await waitForQuickInput(page, title, { focusedRow: 'Accept', timeoutMs: 150_000 });
    const text = await page.locator('.quick-input-widget .quick-input-title').first().innerText();
    const words = /: '(.+)' \(label quality/.exec(text)?.[1];
    assert.ok(words && words in PLANTED, `item ${n} is not a planted error: ${text}`);
    if (shot) assert.ok(await screenshot(page, shot), `could not save test-results/${shot}.png`);
    for (let down = ['Accept', 'Reject', 'Skip'].indexOf(choice); down > 0; down--) await page.keyboard.press('ArrowDown');
    await waitForQuickInput(page, title, { focusedRow: choice });
    await page.keyboard.press('Enter');
    return words;
  }

  test('the three planted errors come up one by one: accept changes the file, reject and skip do not', { timeout: 240_000 }, async (t) => {
    await step(page, 'review-walk', async () => {
      await runFromCommandPalette(page, 'BioNER: Review Likely Label Errors', 60_000);
      order.push(await decide(1, 3, 'Accept', 'e2e-review'));
      order.push(await decide(2, 3, 'Reject'));
      order.push(await decide(3, 3, 'Skip'));
      t.diagnostic(`items: ${JSON.stringify(order)}`);
      await waitForNotification(page, /1 accepted, 1 rejected, 1 skipped of 3/, 30_000);
    });
    assert.deepEqual([...order].sort(), Object.keys(PLANTED).sort(), 'each planted error once');
    await step(page, 'review-save', () => runFromCommandPalette(page, 'File: Save All', 60_000));
    const expected = bio(plant(CLEAN, [order[1], order[2]]));
    const file = path.join(workspace, 'dev.bio');
    for (const deadline = Date.now() + 20_000; readFileSync(file, 'utf8') !== expected && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 250));
    assert.equal(readFileSync(file, 'utf8'), expected, `dev.bio on disk: only '${order[0]}' restored`);
    const decisions = JSON.parse(readFileSync(path.join(workspace, '.bioner', 'review-decisions.json'), 'utf8')).decisions;
    const records = Object.values(decisions) as { decision: string; words: string }[];
    assert.deepEqual(records.map((r) => [r.decision, r.words]).sort(), [['accepted', order[0]], ['rejected', order[1]]].sort());
  });

  test('a second review shows only the skipped item: the rejected one is remembered', { timeout: 180_000 }, async () => {
    await step(page, 'review-again', async () => {
      await runFromCommandPalette(page, 'BioNER: Review Likely Label Errors', 60_000);
      await waitForQuickInput(page, `Likely label error 1 of 1: '${order[2]}'`, { timeoutMs: 150_000 });
      await page.keyboard.press('Escape');
      await waitForNotification(page, /0 accepted, 0 rejected, 0 skipped of 1 \(stopped\)/, 30_000);
    });
    assert.ok(existsSync(path.join(workspace, '.bioner', 'review-decisions.json')));
  });
});
