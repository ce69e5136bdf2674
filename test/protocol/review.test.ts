/** The review's label issues over LSP, with the small real model the repository ships (Disease only). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LABEL_ISSUES_REQUEST, type LabelIssueItem, type LabelIssuesResult } from '@common/protocol';
import { applyTextEdits, startServer, type ServerSession } from '../support/lspClient';
import { EXCERPTS, TEST_MODEL } from '../support/fixtures';

const URI = 'file:///review/dev.bio';
/** The first 80 sentences of the BC5CDR excerpt: Chemical and Disease, of which the test model predicts Disease. */
const CLEAN = readFileSync(EXCERPTS[0], 'utf8').split('\n\n').slice(0, 80).join('\n\n') + '\n';

let server: ServerSession;
before(async () => {
  server = await startServer({ configuration: { modelPath: TEST_MODEL, threads: 1 } });
});
after(async () => {
  await server.stop();
});

let version = 0;
async function issuesOf(text: string): Promise<LabelIssueItem[]> {
  if (version === 0) server.open(URI, text, 'bio', ++version);
  else server.change(URI, ++version, text);
  const result: LabelIssuesResult | null = await server.connection.sendRequest(LABEL_ISSUES_REQUEST.method, { textDocument: { uri: URI } });
  assert.ok(result, 'no result: the model did not load');
  assert.equal(result.version, version);
  return result.items;
}

const lines = (text: string) => text.split('\n');
const tagsAt = (text: string, item: LabelIssueItem) => lines(text).slice(item.range.start.line, item.range.end.line + 1).map((line) => line.split('\t')[1]);

let clean: LabelIssueItem[] = [];
test('items are ranked by their score, then their sentence\'s, and their edits turn gold into the suggestion where gold stands', async () => {
  clean = await issuesOf(CLEAN);
  assert.ok(clean.length > 0, 'the test model doubts nothing in 80 BC5CDR sentences');
  for (let i = 1; i < clean.length; i++) {
    const [a, b] = [clean[i - 1], clean[i]];
    assert.ok(a.score < b.score || (a.score === b.score && a.sentenceScore <= b.sentenceScore), `items ${i - 1} and ${i} out of order`);
  }
  for (const item of clean) {
    assert.deepEqual(tagsAt(CLEAN, item), item.gold, `gold of '${item.sentence.slice(item.start, item.end).join(' ')}'`);
    assert.notDeepEqual(item.suggestion, item.gold);
    assert.ok(item.score < 0.5 && item.sentenceScore <= item.score);
    for (const edit of item.edits) assert.equal(lines(CLEAN)[edit.range.start.line].slice(edit.range.start.character, edit.range.end.character), edit.oldText);
    assert.deepEqual(tagsAt(applyTextEdits(CLEAN, item.edits), item), item.suggestion);
  }
});

test('a Disease entity the model agrees with, dropped from gold, comes back as an item that restores it', async () => {
  const text = lines(CLEAN);
  const doubted = new Set(clean.flatMap((item) => Array.from({ length: item.range.end.line - item.range.start.line + 1 }, (_, k) => item.range.start.line + k)));
  // The first Disease entity of at least two words that no item touches.
  const start = text.findIndex((line, i) => line.endsWith('\tB-Disease') && text[i + 1]?.endsWith('\tI-Disease') && !doubted.has(i) && !doubted.has(i + 1));
  assert.ok(start >= 0);
  let end = start + 1;
  while (text[end].endsWith('\tI-Disease')) end++;
  const noisy = text.map((line, i) => (i >= start && i < end ? line.replace(/\t[BI]-Disease$/, '\tO') : line)).join('\n');
  const items = await issuesOf(noisy);
  const found = items.find((item) => item.range.start.line <= start && end - 1 <= item.range.end.line);
  assert.ok(found, `no item over the dropped entity '${text.slice(start, end).join(' ')}' (lines ${start + 1}–${end})`);
  assert.ok(found.score < 0.5);
  assert.equal(applyTextEdits(noisy, found.edits).split('\n').slice(start, end).join('\n'), text.slice(start, end).join('\n'), 'accepting the item does not restore the entity');
  assert.ok(items.indexOf(found) < items.length / 2, `the dropped entity ranks ${items.indexOf(found) + 1} of ${items.length}`);
});

test('keys follow the sentence, not its line: a sentence added above keeps every other item and its key', async () => {
  const moved = await issuesOf(`Nothing\tO\nhere\tO\n\n${CLEAN}`);
  assert.deepEqual(moved.map((item) => item.key).sort(), clean.map((item) => item.key).sort());
  assert.deepEqual(moved.map((item) => item.range.start.line - 3).sort(), clean.map((item) => item.range.start.line).sort());
});
