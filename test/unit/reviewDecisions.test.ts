/** The review's remembered decisions: keys follow the sentence and its gold tags, and the file round-trips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueKey, ReviewDecisions, type DecisionRecord } from '../../server/src/core/review/decisions';

const words = ['Aspirin', 'caused', 'gastric', 'bleeding', '.'];
const gold = ['B-Chemical', 'O', 'B-Disease', 'O', 'O'];
const record = (decision: DecisionRecord['decision']): DecisionRecord => ({ decision, file: 'dev.bio', words: 'gastric bleeding', gold: 'B-Disease O', suggestion: 'B-Disease I-Disease', at: '2026-12-07T00:00:00Z' });

test('a key changes with the words, the gold tags and the region, and with nothing else', () => {
  const key = issueKey(words, gold, 2, 4);
  assert.equal(issueKey([...words], [...gold], 2, 4), key);
  assert.notEqual(issueKey(words, ['B-Chemical', 'O', 'B-Disease', 'I-Disease', 'O'], 2, 4), key);
  assert.notEqual(issueKey(['Ibuprofen', ...words.slice(1)], gold, 2, 4), key);
  assert.notEqual(issueKey(words, gold, 2, 3), key);
});

test('rejected items are remembered through the file; accepted ones are recorded but not hidden', () => {
  const decisions = ReviewDecisions.empty();
  decisions.record('a', record('rejected'));
  decisions.record('b', record('accepted'));
  const read = ReviewDecisions.parse(decisions.serialize(), 'review-decisions.json');
  assert.equal(read.size, 2);
  assert.equal(read.isRejected('a'), true);
  assert.equal(read.isRejected('b'), false);
  assert.equal(read.isRejected('c'), false);
});

test('a file that is not a decisions file is an error naming it, never read as empty', () => {
  assert.throws(() => ReviewDecisions.parse('{"decisions": ', '.bioner/review-decisions.json'), /^Error: \.bioner\/review-decisions\.json: not JSON/);
  assert.throws(() => ReviewDecisions.parse('[1, 2]', 'f.json'), /no "decisions" object/);
  assert.throws(() => ReviewDecisions.parse('{"decisions": {"k": {"decision": "maybe"}}}', 'f.json'), /"k" is neither "accepted" nor "rejected"/);
});
