/** A mid-sized BIO file edited by LSP incremental changes: each version's diagnostics equal a fresh check of its text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveSettings } from '@common/settings';
import { analyzeConll } from '../../server/src/core/conll/analysis';
import { toDiagnostics } from '../../server/src/features/diagnostics';
import { startServer } from '../support/lspClient';
import { EXCERPTS } from '../support/fixtures';
import { FuzzDocument, randomEdit, type RangeEdit } from '../support/fuzzDocument';
import { Random } from '../support/random';

/** No model and no corpus index: the file's own checks alone. */
const CONFIGURATION = { modelPath: '/nonexistent/bioner-model', corpus: { enabled: false } };
const SETTINGS = resolveSettings(CONFIGURATION);
const URI = 'file:///incremental/mid.bio';
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Diagnostics that never come (an analysis that failed) fail the test instead of hanging it. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no diagnostics for ${what}`)), 30_000)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An edit of the kinds typing makes in a BIO file, at a random token line; else an arbitrary range edit. */
function typingEdit(rng: Random, doc: FuzzDocument): RangeEdit {
  const line = rng.int(doc.lineCount);
  const text = doc.text.slice(doc.offsetAt({ line, character: 0 }), doc.offsetAt({ line, character: doc.lineLength(line) }));
  const tab = text.lastIndexOf('\t') + 1;
  const at = (character: number) => ({ line, character });
  switch (rng.int(7)) {
    case 0:
      return { range: { start: at(tab), end: at(tab + 1) }, text: rng.pick(['B', 'I', 'O', 'b']) };
    case 1:
      return { range: { start: at(0), end: at(0) }, text: '\n' };
    case 2:
      return { range: { start: at(0), end: { line: line + 1, character: 0 } }, text: '' };
    case 3:
      return { range: { start: at(tab), end: at(text.length) }, text: rng.pick(['B-Chemcal', 'B-NewLabel', 'I-Disease']) };
    case 4:
      return { range: { start: at(0), end: at(0) }, text: `${text}\n` };
    default:
      return randomEdit(rng, doc);
  }
}

test('incremental edits, single and several per change, published or not in between, end as a fresh open', { timeout: 300_000 }, async () => {
  const excerpts = EXCERPTS.map((file) => readFileSync(file, 'utf8'));
  const text = [...excerpts, ...excerpts, ...excerpts].join('\n-DOCSTART-\tO\n\n# a comment\n');
  // Over the size where large files wait for a typing pause: the edits must reach diagnostics without one.
  assert.ok(text.length > 200_000);
  const doc = new FuzzDocument(text);
  const rng = new Random(20260901);
  const server = await startServer({ configuration: CONFIGURATION });
  try {
    const opened = server.diagnostics(URI, 1);
    server.open(URI, text);
    await opened;
    for (let version = 2; version <= 80; version++) {
      const changes: RangeEdit[] = [];
      for (let n = rng.chance(0.2) ? 2 : 1; n > 0; n--) {
        const edit = typingEdit(rng, doc);
        doc.apply(edit);
        changes.push(edit);
      }
      const published = server.diagnostics(URI, version);
      void server.connection.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version }, contentChanges: changes });
      // Typing faster than the checks: some versions are superseded before their diagnostics come.
      if (rng.chance(0.3)) continue;
      const expected = json(toDiagnostics(URI, (await analyzeConll(doc.text, SETTINGS)).findings, SETTINGS));
      assert.deepEqual((await within(published, `version ${version}`)).diagnostics, expected, `version ${version} differs from a fresh check of its text`);
    }
    const last = server.diagnostics(URI, 81);
    server.edit(URI, 81, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, 'x');
    doc.apply({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'x' });
    const final = (await within(last, 'the last version')).diagnostics;
    const fresh = await startServer({ configuration: CONFIGURATION });
    const freshly = fresh.diagnostics(URI, 1);
    fresh.open(URI, doc.text);
    assert.deepEqual(final, (await freshly).diagnostics, 'the edited file differs from a fresh open of its text');
    await fresh.stop();
  } finally {
    await server.stop();
  }
});
