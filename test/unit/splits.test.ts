/** Split hygiene: leaks between splits, duplicates within a file, types missing from train, kept incrementally. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../server/src/core/checks/finding';
import type { SentenceRef } from '../../server/src/core/corpus/detector';
import { corpusFile as file, ref } from '../support/corpusSentences';
import { SplitHygiene } from '../../server/src/core/corpus/splits';

const train = file('train.tsv', 'train');
const dev = file('dev.tsv', 'dev');
const test_ = file('test.tsv', 'test');
const notes = file('notes.bio');

function index(refs: SentenceRef[]): SplitHygiene {
  const hygiene = new SplitHygiene();
  for (const r of refs) hygiene.added(r);
  return hygiene;
}
const brief = (findings: Finding[]) => findings.map((f) => [f.code, f.line, f.start, f.end, f.message]);

const aspirin = 'Aspirin/B-Chemical causes gastric/B-Disease bleeding/I-Disease .';
const aspirinOtherTags = 'Aspirin/B-Chemical causes gastric bleeding .';

test('a sentence of test also in train is a leak on both sides, saying whether the tags differ', () => {
  const hygiene = index([ref(train, 0, aspirin), ref(train, 10, 'Nothing to see in here .'), ref(test_, 4, aspirin), ref(dev, 0, aspirinOtherTags)]);
  assert.deepEqual(brief(hygiene.findings(test_.file)), [['split-leak', 4, 0, 7, 'Sentence also in dev.tsv, train.tsv, with different tags in dev.tsv']]);
  const [onTrain] = hygiene.findings(train.file);
  assert.equal(onTrain.message, 'Sentence also in dev.tsv, test.tsv, with different tags in dev.tsv');
  assert.deepEqual(onTrain.related, [
    { line: 0, start: 0, end: 7, file: dev.file, message: 'the same sentence, different tags' },
    { line: 4, start: 0, end: 7, file: test_.file, message: 'the same sentence, the same tags' },
  ]);
  assert.equal(hygiene.findings(dev.file)[0].message, 'Sentence also in test.tsv, train.tsv, with different tags');
});

test('copies in two train files count per file; a file without split role is a split of its own', () => {
  const train2 = file('train-2.tsv', 'train');
  const hygiene = index([ref(train, 0, aspirin), ref(train2, 0, aspirin), ref(train2, 9, aspirin), ref(notes, 3, aspirin)]);
  assert.deepEqual(brief(hygiene.findings(notes.file)), [['split-leak', 3, 0, 7, 'Sentence also in train-2.tsv (2×), train.tsv, with the same tags']]);
  // Within the train split, the copy in another file is no leak; the repetition in the same file is a duplicate.
  assert.deepEqual(
    hygiene.findings(train2.file).map((f) => [f.code, f.line]),
    [
      ['split-leak', 0],
      ['split-leak', 9],
      ['duplicate-sentence', 9],
    ],
  );
});

test('a repeated sentence is flagged on each repetition after the first, related to the first', () => {
  const hygiene = index([ref(notes, 20, aspirinOtherTags), ref(notes, 0, aspirin), ref(notes, 10, aspirin)]);
  const findings = hygiene.findings(notes.file);
  assert.deepEqual(brief(findings), [
    ['duplicate-sentence', 10, 0, 7, 'Sentence repeats the one on line 1 of this file, with the same tags'],
    ['duplicate-sentence', 20, 0, 7, 'Sentence repeats the one on line 1 of this file, with different tags'],
  ]);
  assert.deepEqual(findings[0].related, [{ line: 0, start: 0, end: 7, message: 'first occurrence, with the same tags' }]);
});

test('short sentences, headings and entity-free boilerplate are never compared', () => {
  const rows = ['Results :', 'Table 1 .', '( ABSTRACT TRUNCATED )', '- - 12 .', 'IL - 5 .'];
  const boilerplate = 'Nucleic Acids Research';
  const refs = [...rows, ...rows].map((text, i) => ref(notes, i * 10, text));
  for (let i = 0; i < 5; i++) refs.push(ref(notes, 100 + i * 10, boilerplate), ref(test_, i * 10, boilerplate));
  assert.deepEqual(index(refs).findings(notes.file), []);
  // Four copies are not boilerplate yet, nor is a repeated sentence with an entity.
  const few = [0, 1].flatMap((i) => [ref(notes, i * 10, boilerplate), ref(test_, i * 10, boilerplate)]);
  assert.equal(index(few).findings(notes.file).length, 3);
  const entity = [0, 1, 2, 3, 4, 5].map((i) => ref(notes, i * 10, 'Nucleic/B-X Acids Research'));
  assert.equal(index(entity).findings(notes.file).length, 5);
});

test('a type of dev or test that no train file has is flagged on its first occurrence there', () => {
  const refs = [
    ref(train, 0, 'Aspirin/B-Chemical is a drug .'),
    ref(test_, 30, 'The BRCA1/B-Gene gene and aspirin/B-Chemical here .'),
    ref(test_, 10, 'A mutation of TP53/B-Gene occurs .'),
    ref(dev, 0, 'Mice/B-Species are used .'),
  ];
  const hygiene = index(refs);
  const [finding] = hygiene.findings(test_.file);
  assert.deepEqual(brief([finding]), [
    ['type-missing-from-train', 13, 5, 11, "Entity type 'Gene' (in 2 sentence(s) of this file) occurs in no train file (train.tsv): a model cannot learn it"],
  ]);
  assert.equal(hygiene.findings(dev.file)[0].code, 'type-missing-from-train');
  assert.deepEqual(hygiene.findings(train.file), []);
  // Without any train file, nothing is missing from it.
  assert.deepEqual(index(refs.slice(1)).findings(test_.file), []);
  // Once train has the type, it is no longer missing; removing it brings the finding back.
  const gene = ref(train, 20, 'The TP53/B-Gene gene is studied .');
  hygiene.added(gene);
  assert.deepEqual(hygiene.findings(test_.file), []);
  hygiene.removed(gene);
  assert.equal(hygiene.findings(test_.file).length, 1);
});

test('added and removed in any order give the findings of a fresh index of what remains', () => {
  const texts = [aspirin, aspirinOtherTags, 'Mice/B-Species are used here .', 'The TP53/B-Gene gene is studied .', 'Short one', 'A third kind of sentence .'];
  const files = [train, dev, test_, notes];
  const all: SentenceRef[] = [];
  for (let i = 0; i < 60; i++) all.push(ref(files[(i * 7) % 4], i * 10, texts[(i * 5) % texts.length]));
  const incremental = new SplitHygiene();
  const kept = new Set<SentenceRef>();
  for (const [i, r] of all.entries()) {
    incremental.added(r);
    kept.add(r);
    // Remove every third sentence seen so far, some of them long after they were added.
    if (i % 3 === 2) {
      const victim = all[(i * 11) % (i + 1)];
      if (kept.has(victim)) {
        incremental.removed(victim);
        kept.delete(victim);
      }
    }
  }
  incremental.removed(all[0]);
  kept.delete(all[0]);
  const fresh = index([...kept]);
  for (const f of files) assert.deepEqual(incremental.findings(f.file), fresh.findings(f.file), f.file);
  assert.ok(files.some((f) => fresh.findings(f.file).length > 0), 'the test needs findings to compare');
  for (const r of kept) incremental.removed(r);
  for (const f of files) assert.deepEqual(incremental.findings(f.file), []);
  assert.deepEqual(incremental.sentences(), []);
});
