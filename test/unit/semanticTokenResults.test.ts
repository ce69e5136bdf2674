/** Semantic token deltas: the edits sent turn the tokens the client has into the new ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SemanticTokenResults } from '../../server/src/features/semanticTokenResults';
import { appliedSemanticTokens } from '../support/lspClient';
import { Random } from '../support/random';

test('random token arrays edited in the middle, at either end, or not at all reach the client whole through deltas', () => {
  const rng = new Random(11);
  const results = new SemanticTokenResults();
  const uri = 'file:///a.txt';
  let tokens = Array.from({ length: 50 }, () => rng.int(4));
  let answer: ReturnType<SemanticTokenResults['delta']> = results.full(uri, { data: tokens });
  let held = appliedSemanticTokens([], answer);
  for (let step = 0; step < 500; step++) {
    const start = rng.int(tokens.length + 1);
    const end = Math.min(tokens.length, start + rng.int(6));
    const inserted = Array.from({ length: rng.int(6) }, () => rng.int(4));
    tokens = rng.chance(0.1) ? [...tokens] : [...tokens.slice(0, start), ...inserted, ...tokens.slice(end)];
    const stale = rng.chance(0.1);
    answer = results.delta(uri, stale ? 'an old id' : answer.resultId!, { data: tokens });
    if (stale) assert.ok('data' in answer, 'a delta from tokens that are not the last sent is a full answer');
    held = appliedSemanticTokens(held, answer);
    assert.deepEqual(held, tokens, `step ${step}`);
  }
});
