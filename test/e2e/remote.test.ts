// Real-editor end-to-end test of remote inference. The user settings point bioner.inference.endpoint at a real
// tritonserver serving the embedded default model's exported repository (its backend swapped for the Python stand-in,
// test/support/tritonServer.ts): the Markdown note is highlighted, Triton ran the inferences, and the status bar shows
// a cloud and the server's host. Triton killed, an edit is analysed by the local model and the status bar says so.
// The workspace's own .vscode/settings.json names another endpoint, a server that records what reaches it: it is
// ignored (the setting is user-only), so nothing is sent there.
//
//   bash scripts/setup-e2e.sh && npm run package && node --import tsx --test test/e2e/remote.test.ts
//
// Screenshots: test-results/e2e-remote.png (remote), test-results/e2e-remote-fallback.png (after the kill).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEFAULT_MODEL } from '../support/fixtures';
import { unavailable, type InferenceServerUnderTest } from '../support/inferenceServers';
import { TRITON_VENV } from '../support/servingVenv';
import { TRITON, tritonInferences } from '../support/tritonServer';
import { DEFAULT_VSIX as VSIX, requirePrerequisites, screenshot, startEditorSession, step, waitForStatusBarItems, waitForWords, type EditorSession } from './codeServer';

// In-page code (evaluate / waitForFunction) runs in the browser.
declare const document: any;

/** The name export-serving gives the default model's folder, and the one the extension asks for by default. */
const MODEL_NAME = 'default';
const NOTE = ['# Discharge note', '', 'The patient developed acute renal failure after cisplatin.', '', ''].join('\n');
const ADDED = 'Haloperidol was stopped because of catalepsy.';

const skip = requirePrerequisites('remote-inference end-to-end prerequisites are installed', VSIX);

describe('Remote inference in the editor: a Triton server, its loss, and a workspace endpoint ignored (real editor)', { skip, timeout: 600_000 }, () => {
  let triton: InferenceServerUnderTest | undefined;
  let recorder: Server | undefined;
  const recorded: string[] = [];
  let session: EditorSession | undefined;
  let page: Page;
  let unreachable: string | undefined;

  before(
    async () => {
      unreachable = unavailable(TRITON_VENV);
      if (unreachable) return;
      // Under the name the extension asks for by default, with export-serving's default batch limit.
      triton = await TRITON.start({ folder: DEFAULT_MODEL, name: MODEL_NAME, maxBatch: 64 });
      recorder = createServer((request, response) => {
        recorded.push(`${request.method} ${request.url}`);
        response.writeHead(503).end();
      });
      await new Promise<void>((resolve) => recorder!.listen(0, '127.0.0.1', resolve));
      const workspaceEndpoint = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
      const workspaceSettings = { 'bioner.inference.endpoint': workspaceEndpoint, 'bioner.threads': 1, 'bioner.device': 'cpu', '[markdown]': { 'editor.wordWrap': 'off' } };
      session = await startEditorSession({
        name: 'remote',
        vsix: VSIX,
        files: { '.vscode/settings.json': JSON.stringify(workspaceSettings, null, 2), 'note.md': NOTE },
        open: 'note.md',
        settings: { 'bioner.inference.endpoint': triton.rest },
      });
      page = session.page;
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await session?.close();
    await triton?.stop();
    recorder?.close();
  });

  /** Whether `word` is drawn in another colour than plain prose ("developed"). */
  const highlighted = (word: string) => `(() => {
    const hit = words[${JSON.stringify(word)}][0];
    const plain = words.developed[0];
    return !!hit && !!plain && hit.colors[0] !== plain.colors[0];
  })()`;

  test('the note is highlighted by the model run on Triton; the status bar shows a cloud and the host; the workspace endpoint got nothing', { timeout: 180_000 }, async (t) => {
    if (unreachable) return t.skip(unreachable);
    const host = new URL(triton!.rest).host;
    const items = await step(page, 'remote-status', () => waitForStatusBarItems(page, [MODEL_NAME, host], 120_000));
    t.diagnostic(`status bar: ${JSON.stringify(items)}`);
    assert.equal(items.length, 1);
    const cloud = await page.locator('.statusbar-item[id$="bioner.model"] .codicon-cloud-upload').count();
    assert.equal(cloud, 1, 'the model item shows the cloud icon');
    const words = await step(page, 'remote-highlight', () => waitForWords(page, ['cisplatin', 'failure', 'developed'], `${highlighted('cisplatin')} && ${highlighted('failure')}`, 120_000));
    assert.notDeepEqual(words.cisplatin[0].colors, words.developed[0].colors, 'cisplatin is not highlighted');
    assert.ok((await tritonInferences(triton!, MODEL_NAME)) > 0, 'Triton ran no inference');
    assert.deepEqual(recorded, [], 'the endpoint of the workspace settings was contacted');
    await screenshot(page, 'e2e-remote');
  });

  test('Triton killed: an edit is analysed by the local model, and the status bar says the server stopped answering', { timeout: 180_000 }, async (t) => {
    if (unreachable) return t.skip(unreachable);
    await triton!.kill();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(ADDED);
    const items = await step(page, 'remote-fallback-status', () => waitForStatusBarItems(page, [MODEL_NAME, 'cpu'], 120_000));
    t.diagnostic(`status bar: ${JSON.stringify(items)}`);
    assert.equal(await page.locator('.statusbar-item[id$="bioner.model"] .codicon-cloud-upload').count(), 0, 'the cloud icon stays after the fallback');
    const words = await step(page, 'remote-fallback-highlight', () => waitForWords(page, ['catalepsy', 'developed'], highlighted('catalepsy'), 120_000));
    assert.notDeepEqual(words.catalepsy[0].colors, words.developed[0].colors, 'the edit is not highlighted');
    await page.locator('.statusbar-item[id$="bioner.model"]').first().hover();
    const tooltip = await step(page, 'remote-fallback-tooltip', async () => {
      const hover = page.locator('.monaco-hover', { hasText: 'stopped answering' }).first();
      await hover.waitFor({ state: 'visible', timeout: 20_000 });
      return hover.textContent();
    });
    assert.match(tooltip ?? '', new RegExp(`The inference server at ${triton!.rest.replace(/[.]/g, '\\.')} stopped answering: it did not answer POST /v2/models/${MODEL_NAME}/infer: .*\\. The model runs on this machine`));
    await screenshot(page, 'e2e-remote-fallback');
    assert.deepEqual(recorded, [], 'the endpoint of the workspace settings was contacted');
  });
});
