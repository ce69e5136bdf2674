import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, marginalRow, TransitionMask } from '../../server/src/core/ner/viterbi';
import { validateSequence } from '../../server/src/core/conll/sequence';
import { parseTag, type Tag } from '../../server/src/core/conll/tags';
import { random } from '../support/plant';

const IOB2 = ['O', 'B-Chemical', 'I-Chemical', 'B-Disease', 'I-Disease'];
const IOBES = ['O', 'B-X', 'I-X', 'E-X', 'S-X'];
const tags = (labels: string[], ids: number[]) => ids.map((id) => (parseTag(labels[id]) as { tag: Tag }).tag);

test('the best raw label is overridden when it would make an invalid sequence', () => {
  // Word 0 prefers I-Chemical, which cannot start a sentence; word 2 prefers I-Disease after a Chemical.
  const scores = [
    [0, 1, 3, 0, 0],
    [0, 0, 3, 0, 0],
    [0, 0, 1, 0, 2],
  ];
  const decoded = decode(scores, new TransitionMask(IOB2));
  const { labels } = decoded;
  const marginals = scores.map((_, t) => marginalRow(decoded, t));
  assert.deepEqual(labels.map((l) => IOB2[l]), ['B-Chemical', 'I-Chemical', 'I-Chemical']);
  for (const row of marginals) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  // The impossible label has no probability at all.
  assert.equal(marginals[0][2], 0);
});

test('random scores always decode to valid IOB2 and IOBES sequences', () => {
  const rand = random(42);
  for (const labels of [IOB2, IOBES]) {
    const mask = new TransitionMask(labels);
    const scheme = labels === IOB2 ? 'IOB2' : 'IOBES';
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rand() * 12);
      const scores = Array.from({ length: n }, () => labels.map(() => (rand() - 0.5) * 10));
      const { labels: path } = decode(scores, mask);
      assert.deepEqual(validateSequence(tags(labels, path), scheme), [], `${scheme} trial ${trial}`);
    }
  }
});

test('CRF transitions change the decision and marginals reflect them', () => {
  const mask = new TransitionMask(['O', 'B-X', 'I-X']);
  const scores = [
    [0, 1, 0],
    [0.6, 0, 0.5],
  ];
  assert.deepEqual(decode(scores, mask).labels, [1, 0]);
  const crf = {
    transitions: [
      [0, 0, 0],
      [0, 0, 2],
      [0, 0, 0],
    ],
    start: [0, 0, 0],
    end: [0, 0, 0],
  };
  // With raw CRF scores (no softmax) a strong B→I transition wins.
  const withCrf = decode(scores, mask, crf);
  assert.deepEqual(withCrf.labels, [1, 2]);
  assert.ok(marginalRow(withCrf, 1)[2] > 0.5);
});

test('marginals stay exact where probability space underflows (a word whose largest score is a forbidden label)', () => {
  // I-X cannot start a sentence: relative to its score, every allowed label's is exp(-5000) = 0 in probability space.
  const decoded = decode([[-2000, 0, 5000, -2000, 5000], [0, 0, 0, 0, 0]], new TransitionMask(IOB2));
  const { labels } = decoded;
  const marginals = [0, 1].map((t) => marginalRow(decoded, t));
  assert.equal(labels[0], 1);
  for (const row of marginals) {
    assert.ok(row.every(Number.isFinite));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  }
  assert.equal(marginals[0][2], 0);
  assert.ok(marginals[0][1] > 0.999);
});
