/** Corpus statistics and the batch index, on a tiny corpus written here and counted by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { corpusFindings, groupCorpora, indexCorpora } from '../../server/src/core/corpus/batch';
import type { CorpusDetector } from '../../server/src/core/corpus/detector';
import { SplitHygiene } from '../../server/src/core/corpus/splits';
import { corpusStats } from '../../server/src/core/corpus/stats';
import { bio, EXCERPTS, SHARED_DATA, sharedCorpusFiles } from '../support/fixtures';

const root = mkdtempSync(path.join(tmpdir(), 'bioner-stats-'));
function write(relative: string, text: string): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}
const leaked = ['Aspirin B-Chem', 'causes O', 'gastric B-Dis', 'bleeding I-Dis', '. O'];
// train: 3 sentences (5, 3, 4 tokens); Chem ×2 (aspirin, ibuprofen), Dis ×2 (one of 2 tokens, one of 3).
const train = write('c/train.tsv', bio(...leaked, '', 'Ibuprofen B-Chem', 'helps O', '. O', '', 'Acute B-Dis', 'renal I-Dis', 'failure I-Dis', 'occurs O'));
// test: the leaked sentence with other tags, an entity of a seen form and type, one seen with another type, one unseen.
const testFile = write(
  'c/test.tsv',
  bio('Aspirin B-Chem', 'causes O', 'gastric O', 'bleeding O', '. O', '', 'Ibuprofen B-Chem', 'and O', 'aspirin B-Chem', 'or O', 'Acute B-Chem', 'renal I-Chem', 'failure I-Chem'),
);

async function only<D extends CorpusDetector>(files: string[], make: () => D) {
  const corpora = [];
  for await (const corpus of indexCorpora(files, { tagColumn: -1, scheme: 'auto', scope: 'folder' }, [make])) corpora.push(corpus);
  assert.equal(corpora.length, 1);
  return corpora[0];
}

test('statistics of a two-file corpus, counted by hand', async () => {
  const corpus = await only([train, testFile], () => new SplitHygiene());
  const stats = corpusStats(corpus.key, corpus.detectors[0]);
  assert.equal(stats.corpus, path.join(root, 'c'));
  assert.deepEqual(
    stats.splits.map((s) => [s.split, s.sentences, s.tokens, s.entities, s.entityLengths, s.sentenceLength]),
    [
      ['train', 3, 12, { Chem: 2, Dis: 2 }, [2, 1, 1], { min: 3, median: 4, mean: 4, max: 5, histogram: [3, 0, 0, 0, 0] }],
      ['test', 2, 12, { Chem: 4 }, [3, 0, 1], { min: 5, median: 6, mean: 6, max: 7, histogram: [2, 0, 0, 0, 0] }],
    ],
  );
  assert.deepEqual(stats.leakage, [{ split: 'test', sentences: 2, inTrain: 1, share: 0.5, differentTags: 1 }]);
  // Aspirin, Ibuprofen: seen with their type; "aspirin" (case kept): unseen; "Acute renal failure": seen as Dis only.
  assert.deepEqual(stats.memorization, [{ split: 'test', mentions: 4, seenWithType: 2, seenWithTypeShare: 0.5, unseen: 1, unseenShare: 0.25 }]);
  assert.deepEqual(stats.rareTypes, [
    { type: 'Chem', entities: 2 },
    { type: 'Dis', entities: 2 },
  ]);
});

test('the batch index gives each file its findings, with the other file named in related', async () => {
  const corpus = await only([train, testFile], () => new SplitHygiene());
  const findings = corpusFindings(corpus);
  assert.deepEqual([...findings.keys()], [train, testFile]);
  assert.deepEqual(
    findings.get(testFile)!.map((f) => [f.code, f.line, f.related?.map((r) => [r.file, r.line])]),
    [['split-leak', 0, [[train, 0]]]],
  );
});

test('files group into corpora by folder, by the common workspace root, or one by one', () => {
  const files = ['a/train.tsv', './a/test.tsv', 'b/dev.tsv'];
  const sizes = (scope: 'folder' | 'workspace' | 'file', roots?: string[]) => [...groupCorpora(files, scope, roots).values()].map((g) => g.length);
  assert.deepEqual(sizes('folder'), [2, 1]);
  assert.deepEqual(sizes('workspace', ['.']), [3]);
  assert.deepEqual(sizes('file'), [1, 1, 1]);
});

test('a file that cannot be read is reported and the rest of its corpus is indexed', async () => {
  const missing = path.join(root, 'c', 'dev.tsv');
  const corpus = await only([train, missing], () => new SplitHygiene());
  assert.deepEqual([...corpus.errors.keys()], [missing]);
  assert.equal(corpus.detectors[0].sentences().length, 3);
});

const corpora = sharedCorpusFiles();
const NO_CORPORA = corpora.length === 0 && `no corpora in ${SHARED_DATA} (set BIONER_DATA to their folder)`;

test('the excerpts have no split finding; the corpora of ../shared/data have leaks and duplicates, never a missing type', { skip: NO_CORPORA }, async () => {
  const excerpts = await only(EXCERPTS, () => new SplitHygiene());
  for (const findings of corpusFindings(excerpts).values()) assert.deepEqual(findings, []);
  const codes = new Map<string, number>();
  for await (const corpus of indexCorpora(corpora, { tagColumn: -1, scheme: 'auto', scope: 'folder' }, [() => new SplitHygiene()])) {
    assert.equal(corpus.errors.size, 0);
    for (const findings of corpusFindings(corpus).values()) for (const f of findings) codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
  }
  // BC5CDR alone has a dozen sentences in two splits (e.g. dev/test "AUTHORS ' CONCLUSIONS : HT is not indicated …").
  assert.ok((codes.get('split-leak') ?? 0) > 100 && (codes.get('duplicate-sentence') ?? 0) > 100, JSON.stringify([...codes]));
  assert.equal(codes.get('type-missing-from-train'), undefined);
});

test('label co-occurrence: sentences holding both types, and words annotated with more than one type, counted by hand', async () => {
  const corpus = await only([train, testFile], () => new SplitHygiene());
  const { cooccurrence } = corpusStats(corpus.key, corpus.detectors[0]);
  // Sentences: train Chem+Dis, Chem, Dis; test Chem (the leaked one, re-tagged), Chem. "Aspirin" is Chem 2×;
  // "Acute renal failure" is Dis in train and Chem in test.
  assert.deepEqual(cooccurrence.types, ['Chem', 'Dis']);
  assert.deepEqual(cooccurrence.sentences, [
    [4, 1],
    [1, 2],
  ]);
  assert.equal(cooccurrence.ambiguousForms, 1);
  assert.deepEqual(cooccurrence.topAmbiguousForms, [{ form: 'Acute renal failure', mentions: 2, types: { Chem: 1, Dis: 1 } }]);
});

test('the batch index reads a text given for a file (an open document) instead of the file on disk', async () => {
  const edited = bio('Ibuprofen B-Chem', 'causes O', 'nausea B-Dis');
  const corpora = [];
  for await (const corpus of indexCorpora([train, testFile], { tagColumn: -1, scheme: 'auto', scope: 'folder', texts: new Map([[testFile, edited]]) }, [() => new SplitHygiene()])) corpora.push(corpus);
  const stats = corpusStats(corpora[0].key, corpora[0].detectors[0]);
  assert.deepEqual(
    stats.splits.map((s) => [s.split, s.sentences, s.entities]),
    [
      ['train', 3, { Chem: 2, Dis: 2 }],
      ['test', 1, { Chem: 1, Dis: 1 }],
    ],
  );
});
