import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../../server/src/core/eval/score';
import { parseTag, type Tag } from '../../server/src/core/conll/tags';

const seq = (text: string) => text.split(' ').map((t) => (parseTag(t) as { tag: Tag }).tag);

test('strict and relaxed P/R/F1, per type and per length', () => {
  const gold = [seq('B-D I-D O B-C O'), seq('B-C I-C I-C O B-D')];
  const pred = [seq('B-D I-D O O O'), seq('B-C I-C O O B-C')];
  const e = evaluate(gold, pred);
  // Gold: D(0-2) C(3) | C(0-3) D(4). Predicted: D(0-2) | C(0-2) C(4).
  assert.equal(e.strict.gold, 4);
  assert.equal(e.strict.predicted, 3);
  assert.equal(e.strict.correctPredicted, 1);
  assert.equal(e.relaxed.correctPredicted, 2);
  assert.equal(e.relaxed.foundGold, 2);
  assert.ok(Math.abs(e.strict.f1 - (2 * (1 / 3) * (1 / 4)) / (1 / 3 + 1 / 4)) < 1e-12);
  assert.equal(e.perType.C.strict.gold, 2);
  assert.equal(e.perType.C.relaxed.foundGold, 1);
  assert.equal(e.perLength['1'].strict.gold, 2);
  assert.equal(e.perLength['2'].strict.correctPredicted, 1);
  assert.equal(e.perLength['>=3'].relaxed.foundGold, 1);
});

test('chunking follows conlleval: an I- after O starts an entity, a type change splits one', () => {
  const e = evaluate([seq('O I-X I-X O I-X I-Y')], [seq('O B-X I-X O B-X B-Y')]);
  assert.equal(e.strict.f1, 1);
});

test('mismatched sentences are reported, not silently scored', () => {
  assert.throws(() => evaluate([seq('O O')], [seq('O')]), /sentence 1: 2 gold tokens but 1 predicted/);
});
