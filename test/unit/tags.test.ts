import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTag, parseTag } from '../../server/src/core/conll/tags';

test('valid tags parse into prefix and type, types may hold - and _', () => {
  assert.deepEqual(parseTag('O'), { ok: true, tag: { prefix: 'O', type: '' } });
  assert.deepEqual(parseTag('B-Chemical'), { ok: true, tag: { prefix: 'B', type: 'Chemical' } });
  assert.deepEqual(parseTag('I-cell_line'), { ok: true, tag: { prefix: 'I', type: 'cell_line' } });
  assert.deepEqual(parseTag('E-gene-product'), { ok: true, tag: { prefix: 'E', type: 'gene-product' } });
  assert.deepEqual(parseTag('U-X'), { ok: true, tag: { prefix: 'U', type: 'X' } });
  assert.deepEqual(parseTag('B'), { ok: true, tag: { prefix: 'B', type: '' } });
  assert.equal(formatTag({ prefix: 'S', type: 'Disease' }), 'S-Disease');
  assert.equal(formatTag({ prefix: 'I', type: '' }), 'I');
});

test('malformed tags are explained, with the intended tag where it is clear', () => {
  const cases: [string, string | undefined][] = [
    ['B_Chemical', 'B-Chemical'],
    ['b-Chemical', 'B-Chemical'],
    ['i-Disease', 'I-Disease'],
    ['0', 'O'],
    ['o', 'O'],
    ['X-Chemical', undefined],
    ['B-', undefined],
    ['Chemical', undefined],
    ['BChemical', undefined],
  ];
  for (const [text, suggestion] of cases) {
    const parsed = parseTag(text);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) {
      assert.equal(parsed.suggestion, suggestion, text);
      assert.ok(parsed.reason.length > 10, text);
    }
  }
});
