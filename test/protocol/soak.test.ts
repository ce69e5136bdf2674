/** The soak, bounded for CI: a few hundred paced random edits through LSP on a 500-sentence BIO file and Markdown note with the model on, then the server's final state against a fresh server's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_MODEL } from '../support/fixtures';
import { runSoak, soakDocuments } from '../support/soak';

const EDITS = 300;
const SENTENCES = 500;
/** Generous, as RSS depends on the machine: the heap's allowance is the finer check. */
const MAX_GROWTH = 2;
/** One inference session of the small test model: the model's passes leave a core for the checks on a two-core machine. */
const CONFIGURATION = { modelPath: TEST_MODEL, workers: 1 };

test(`soak: ${EDITS} random edits on ${SENTENCES}-sentence documents leave no stale diagnostic or token`, { timeout: 600_000 }, async (t) => {
  for (const document of await soakDocuments(SENTENCES)) {
    await t.test(`${document.language} (${document.source})`, { timeout: 300_000 }, async () => {
      const result = await runSoak({ document, edits: EDITS, seed: 20261201, configuration: CONFIGURATION, sampleEvery: 100, replyLimitMs: 120_000 });
      const m = result.memory;
      t.diagnostic(
        `${document.language}: ${result.edits} edits in ${result.seconds.edits.toFixed(1)} s (${result.looks} looks, ${result.settles} settles, ${result.cancelled.sent} cancelled requests); RSS ${m.before.rssMB} → ${m.after.rssMB} MB (peak ${m.after.peakMB}, fresh ${m.fresh.rssMB}), after a full collection ${m.before.collected.rssMB} → ${m.after.collected.rssMB} MB (heap ${m.before.collected.heapMB} → ${m.after.collected.heapMB} MB)`,
      );
      assert.deepEqual(result.mismatches, []);
      assert.equal(result.edits, EDITS);
      assert.ok(m.after.collected.heapMB <= result.heapAllowanceMB, `the heap after a full collection grew from ${m.before.collected.heapMB} to ${m.after.collected.heapMB} MB, over the ${result.heapAllowanceMB} MB the prediction cache may take`);
      assert.ok(result.growth.collectedRss <= MAX_GROWTH, `RSS after a full collection grew ${result.growth.collectedRss}× (${m.before.collected.rssMB} → ${m.after.collected.rssMB} MB)`);
    });
  }
});
