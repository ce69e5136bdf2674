import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LineIndex, linesOfFile, type Line } from '../../server/src/core/text/lines';
import { splitColumns } from '../../server/src/core/conll/columns';

const text = '\uFEFFa\tO\r\nb\tB-X\rc\tI-X\n\nd\tO';

test('LineIndex splits on \\n, \\r\\n and a lone \\r, and drops a leading BOM with an offset', () => {
  const index = new LineIndex(text);
  const lines = [...index.lines()];
  assert.deepEqual(lines.map((l) => l.text), ['a\tO', 'b\tB-X', 'c\tI-X', '', 'd\tO']);
  assert.equal(lines[0].offset, 1);
  assert.equal(lines[1].offset, 0);
});

test('linesOfFile streams the same lines as LineIndex, also when a CRLF is split between chunks', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-lines-'));
  const file = path.join(dir, 'x.bio');
  // Put a \r exactly at the 1 MiB chunk boundary.
  const filler = 'w\tO\n'.repeat((1 << 20) / 4 - 1) + 'xy\r\nz\tO\n';
  for (const content of [text, filler]) {
    writeFileSync(file, content);
    const streamed: Line[] = [];
    for await (const line of linesOfFile(file)) streamed.push(line);
    assert.deepEqual(streamed, [...new LineIndex(content).lines()]);
  }
});

test('columns have UTF-16 offsets, so astral characters count twice', () => {
  const columns = splitColumns('𝛼-helix\tB-Protein', 'tab');
  assert.deepEqual(columns, [
    { text: '𝛼-helix', start: 0, end: 8 },
    { text: 'B-Protein', start: 9, end: 18 },
  ]);
  assert.deepEqual(
    splitColumns('EU  NNP B-NP  B-ORG ', 'space').map((c) => [c.text, c.start]),
    [
      ['EU', 0],
      ['NNP', 4],
      ['B-NP', 8],
      ['B-ORG', 14],
    ],
  );
  assert.deepEqual(splitColumns('word\t', 'tab').map((c) => c.text), ['word', '']);
});
