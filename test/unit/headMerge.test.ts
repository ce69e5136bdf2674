/** The multi-head merge on two heads of the default model that disagree (BC2GM genes, JNLPBA proteins/DNA/cells). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NerEngine, type PredictedSpan, type SentencePrediction } from '../../server/src/core/ner/engine';
import { readSentences, wordsOf } from '../../server/src/core/conll/corpus';
import { DEFAULT_SETTINGS } from '@common/settings';
import { DEFAULT_MODEL, EXCERPTS, WORKER_SCRIPT } from '../support/fixtures';

const HEADS = ['BC2GM', 'JNLPBA'] as const;

let sentences: string[][];
/** Each head decoded alone, and both merged. */
let alone: SentencePrediction[][];
let merged: SentencePrediction[];
/** Both heads loaded, only BC2GM's type chosen. */
let genesOnly: SentencePrediction[];

async function predictWith(heads: readonly string[], types?: ReadonlySet<string>): Promise<SentencePrediction[]> {
  const engine = await NerEngine.load(DEFAULT_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu', heads });
  try {
    return await engine.predict(sentences, { types });
  } finally {
    await engine.dispose();
  }
}

before(async () => {
  sentences = (await readSentences(EXCERPTS[1], DEFAULT_SETTINGS)).map(wordsOf).slice(0, 60);
  alone = [];
  for (const head of HEADS) alone.push(await predictWith([head]));
  merged = await predictWith(HEADS);
  genesOnly = await predictWith(HEADS, new Set(['GENE']));
});

const overlaps = (a: PredictedSpan, b: PredictedSpan) => a.start < b.end && b.start < a.end;
const same = (a: PredictedSpan, b: PredictedSpan) => a.start === b.start && a.end === b.end && a.type === b.type && Math.abs(a.confidence - b.confidence) < 1e-6;

test('the two heads really disagree: each wins some overlaps, and some spans of each overlap nothing of the other', () => {
  const wins = [0, 0];
  const unopposed = [0, 0];
  sentences.forEach((_, s) => {
    const [a, b] = [alone[0][s].spans, alone[1][s].spans];
    for (const x of a) for (const y of b) if (overlaps(x, y)) wins[x.confidence > y.confidence ? 0 : 1]++;
    unopposed[0] += a.filter((x) => !b.some((y) => overlaps(x, y))).length;
    unopposed[1] += b.filter((y) => !a.some((x) => overlaps(x, y))).length;
  });
  // Otherwise a merge that always kept the first head's span (or the second's) would pass the test below.
  assert.ok(wins[0] >= 5 && wins[1] >= 5, `overlaps won by ${HEADS[0]}: ${wins[0]}, by ${HEADS[1]}: ${wins[1]}`);
  assert.ok(unopposed[0] >= 1 && unopposed[1] >= 1, `spans overlapping nothing of the other head: ${unopposed}`);
});

test('the merge keeps each head\'s spans, drops a span only for a more confident overlapping one, and labels what it keeps', () => {
  sentences.forEach((words, s) => {
    const candidates = alone.flatMap((head, h) => head[s].spans.map((span) => ({ span, h })));
    const kept = merged[s].spans;
    const where = `sentence ${s} (${words.slice(0, 6).join(' ')} …)`;
    for (const span of kept) assert.ok(candidates.some((c) => same(c.span, span)), `${where}: kept span ${JSON.stringify(span)} comes from no head`);
    kept.forEach((span, k) => assert.ok(k === 0 || kept[k - 1].end <= span.start, `${where}: kept spans overlap or are out of order`));
    for (const { span, h } of candidates) {
      const rivals = alone[1 - h][s].spans.filter((other) => overlaps(span, other));
      if (kept.some((k) => same(k, span))) continue;
      assert.ok(rivals.length > 0, `${where}: ${HEADS[h]} span ${span.start}-${span.end} overlaps nothing of the other head but was dropped`);
      assert.ok(
        kept.some((k) => overlaps(k, span) && k.confidence >= span.confidence),
        `${where}: ${HEADS[h]} span ${span.start}-${span.end} (${span.confidence.toFixed(3)}) was dropped without a more confident overlapping span kept`,
      );
    }
    // The labels are the kept spans in IOB2, nothing else.
    const labels = words.map(() => 'O');
    for (const span of kept) for (let i = span.start; i < span.end; i++) labels[i] = `${i === span.start ? 'B' : 'I'}-${span.type}`;
    assert.deepEqual(merged[s].labels, labels, where);
  });
});

test('types are chosen before the merge: a span of a type left out never hides one of a chosen type', () => {
  let hidden = 0;
  sentences.forEach((_, s) => {
    assert.deepEqual(genesOnly[s].spans, alone[0][s].spans, `sentence ${s}`);
    hidden += alone[0][s].spans.filter((span) => !merged[s].spans.some((k) => same(k, span))).length;
  });
  // Otherwise choosing after the merge would pass as well.
  assert.ok(hidden >= 5, `GENE spans the full merge drops for JNLPBA's: ${hidden}`);
});

test("inside a kept span a word's rankings are those of the head that found it, not another head's O", () => {
  let checked = 0;
  sentences.forEach((_, s) => {
    for (const span of merged[s].spans) {
      const h = alone.findIndex((head) => head[s].spans.some((other) => same(other, span)));
      for (let word = span.start; word < span.end; word++) assert.deepEqual(merged[s].ranked[word], alone[h][s].ranked[word], `sentence ${s} word ${word}`);
      checked++;
    }
  });
  assert.ok(checked >= 20, `kept spans checked: ${checked}`);
});

test("outside the kept spans a word's rankings are one head's, the head least sure the word is outside an entity", () => {
  const outside = (prediction: SentencePrediction, word: number) => prediction.ranked[word].find((r) => r.label === 'O')?.probability ?? 0;
  let checked = 0;
  let mixedWouldExceedOne = 0;
  sentences.forEach((words, s) => {
    words.forEach((_, word) => {
      if (merged[s].spans.some((span) => span.start <= word && word < span.end)) return;
      const least = outside(alone[0][s], word) <= outside(alone[1][s], word) ? 0 : 1;
      assert.deepEqual(merged[s].ranked[word], alone[least][s].ranked[word], `sentence ${s} word ${word}`);
      assert.ok(merged[s].ranked[word].reduce((sum, r) => sum + r.probability, 0) <= 1 + 1e-6, `sentence ${s} word ${word}: the shown labels add up to more than 1`);
      // The heads' rows mixed (the larger O beside the other head's best entity label) would read as more than 100%.
      const best = (h: number) => Math.max(0, ...alone[h][s].ranked[word].filter((r) => r.label !== 'O').map((r) => r.probability));
      if (Math.max(outside(alone[0][s], word), outside(alone[1][s], word)) + Math.max(best(0), best(1)) > 1.05) mixedWouldExceedOne++;
      checked++;
    });
  });
  assert.ok(checked >= 500 && mixedWouldExceedOne >= 3, `words outside spans: ${checked}; where mixing the heads would exceed 100%: ${mixedWouldExceedOne}`);
});
