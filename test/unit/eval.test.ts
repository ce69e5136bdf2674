import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellErrors, evaluate, type Evaluation, type LengthBucket, type ScoreCell } from '../../server/src/core/eval/score';
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

test('with errors: every strict error, in sentence and word order, with its type, length, relaxed status and the other side over it', () => {
  const gold = [seq('B-D I-D O B-C O'), seq('B-C I-C I-C O B-D')];
  const pred = [seq('B-D I-D O O O'), seq('B-C I-C O O B-C')];
  assert.equal(evaluate(gold, pred).errors, undefined, 'no lists unless asked');
  const { errors } = evaluate(gold, pred, { errors: true });
  assert.deepEqual(
    errors!.map((e) => [e.kind, e.sentence, e.start, e.end, e.type, e.length, e.relaxed, e.overlapping.map((o) => `${o.type}${o.start}-${o.end}`)]),
    [
      // Sentence 0: gold C(3) missed. Sentence 1: C(0-3) predicted as C(0-2) (a relaxed match both ways), D(4) predicted as C.
      ['false-negative', 0, 3, 4, 'C', '1', true, []],
      ['false-positive', 1, 0, 2, 'C', '2', false, ['C0-3']],
      ['false-negative', 1, 0, 3, 'C', '>=3', false, ['C0-2']],
      ['false-negative', 1, 4, 5, 'D', '1', true, ['C4-5']],
      ['false-positive', 1, 4, 5, 'C', '1', true, ['D4-5']],
    ],
  );
});

/** Every cell of the score table, as the views offer them. */
function cells(e: Evaluation): ScoreCell[] {
  const rows: ScoreCell['row'][] = ['overall', ...Object.keys(e.perType).map((type) => ({ type })), ...(['1', '2', '>=3'] as LengthBucket[]).map((length) => ({ length }))];
  return rows.flatMap((row) => (['strict', 'relaxed'] as const).flatMap((matching) => (['precision', 'recall', 'f1'] as const).map((measure) => ({ row, matching, measure }))));
}

test('each score lists exactly the errors it counts: predicted minus correct for precision, gold minus found for recall', () => {
  const tags = ['O', 'B-A', 'I-A', 'B-B', 'I-B', 'I-A'];
  let state = 7;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
  const sentence = () => Array.from({ length: 3 + Math.floor(random() * 12) }, () => tags[Math.floor(random() * tags.length)]).join(' ');
  const gold = Array.from({ length: 60 }, sentence);
  const pred = gold.map((g) => g.split(' ').map((t) => (random() < 0.3 ? tags[Math.floor(random() * tags.length)] : t)).join(' '));
  const e = evaluate(gold.map(seq), pred.map(seq), { errors: true });
  for (const cell of cells(e)) {
    const scores = cell.row === 'overall' ? e : 'type' in cell.row ? e.perType[cell.row.type] : e.perLength[cell.row.length];
    const prf = scores[cell.matching];
    const listed = cellErrors(e.errors!, cell);
    const falsePositives = listed.filter((x) => x.kind === 'false-positive').length;
    const expected = { precision: [prf.predicted - prf.correctPredicted, 0], recall: [0, prf.gold - prf.foundGold], f1: [prf.predicted - prf.correctPredicted, prf.gold - prf.foundGold] }[cell.measure];
    assert.deepEqual([falsePositives, listed.length - falsePositives], expected, JSON.stringify(cell));
  }
});
