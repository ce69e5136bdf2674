/** Finding BIO files: folders searched in name order, hidden folders and node_modules skipped, .tsv/.txt sniffed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bioFiles, looksLikeBio } from '../../server/src/core/corpus/discover';
import { bio } from '../support/fixtures';

const root = mkdtempSync(path.join(tmpdir(), 'bioner-discover-'));
function write(relative: string, text: string): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}
const tagged = bio('Aspirin B-Chemical', 'works O', '', 'Yes O');

test('folders are searched recursively in name order for BIO files; other files, hidden folders and node_modules are not', async () => {
  write('b/train.tsv', tagged);
  write('a/z.conll', 'anything at all\n');
  write('a/notes.txt', 'This is prose, one sentence a line.\nAnd another one here.\n');
  write('a/counts.tsv', 'word\tcount\nthe\t12\nof\t9\n');
  write('a/readme.md', tagged);
  write('a/deep/er/x.bio', tagged);
  write('.git/hidden.bio', tagged);
  write('b/.cache/hidden.bio', tagged);
  write('node_modules/pkg/dep.bio', tagged);
  write('c/tagged.txt', bio('a O', 'b B-X'));
  symlinkSync(root, path.join(root, 'c', 'loop'));
  const found = await bioFiles([root]);
  assert.deepEqual(
    found.map((f) => path.relative(root, f)),
    ['a/deep/er/x.bio', 'a/z.conll', 'b/train.tsv', 'c/tagged.txt'],
  );
});

test('files given by path are taken as they are, missing ones too, each once', async () => {
  const counts = path.join(root, 'a', 'counts.tsv');
  const missing = path.join(root, 'nope.bio');
  assert.deepEqual(await bioFiles([counts, missing, counts]), [counts, missing]);
});

test('the sniff wants a tag in 90% of the first token lines, ignoring comments, -DOCSTART- and blank lines', async () => {
  const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `w${i} ${tag}`);
  assert.equal(await looksLikeBio(write('s/ninety.tsv', bio('-DOCSTART- O', '', ...rows(18, 'O'), ...rows(2, '12')))), true);
  assert.equal(await looksLikeBio(write('s/less.tsv', bio(...rows(17, 'O'), ...rows(3, '12')))), false);
  assert.equal(await looksLikeBio(write('s/spaced.txt', ['# a comment', 'Aspirin NN B-Chemical', 'works VB O', ''].join('\n'))), true);
  assert.equal(await looksLikeBio(write('s/empty.tsv', '\n\n')), false);
  assert.equal(await looksLikeBio(path.join(root, 's', 'missing.tsv')), false);
});
