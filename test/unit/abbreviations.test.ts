/** Schwartz–Hearst abbreviation definitions, and the types they carry across a document. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDefinitions } from '../../server/src/core/ner/abbreviations';
import { bioScope, DocumentAbbreviations, WHOLE_TEXT, withAbbreviationTypes } from '../../server/src/core/ner/abbreviationTypes';
import type { PredictedSpan, SentencePrediction } from '../../server/src/core/ner/engine';

const words = (text: string) => text.split(' ');
const forms = (text: string) => findDefinitions(words(text)).map((d) => [words(text).slice(d.short.start, d.short.end).join(' '), words(text).slice(d.long.start, d.long.end).join(' ')]);

test('definitions: the long form before the parentheses, or inside them when they hold more than three words', () => {
  assert.deepEqual(forms('patients with acute renal failure ( ARF ) were seen'), [['ARF', 'acute renal failure']]);
  // The first letter must start a word: "HCC" starts at "hepatocellular", not inside "with".
  assert.deepEqual(forms('treated for hepatocellular carcinoma ( HCC ) .'), [['HCC', 'hepatocellular carcinoma']]);
  assert.deepEqual(forms('high levels of TNF ( tumour necrosis factor alpha ) were found'), [['TNF', 'tumour necrosis factor alpha']]);
  assert.deepEqual(forms('an increase in 5 - fluorouracil ( 5 - FU ) dose'), [], 'a short form starts with a letter');
  assert.deepEqual(forms('the dose ( mg ) was doubled'), [], 'the letters of mg are not in "the dose" in order at a word start');
  assert.deepEqual(forms('( ARF ) acute renal failure'), [], 'nothing before the parentheses');
  assert.deepEqual(forms('ATP sensitive K + ( K ( ATP ) ) channels'), [], 'nested parentheses');
  assert.deepEqual(forms('bis ( p - nitrophenyl ) phosphate ( BNPP ) inhibits'), [['BNPP', 'bis ( p - nitrophenyl ) phosphate']]);
  assert.deepEqual(forms('levels rose ( p < 0 . 05 )'), []);
});

function prediction(length: number, ...spans: [number, number, string, number?][]): SentencePrediction {
  const predicted: PredictedSpan[] = spans.map(([start, end, type, confidence]) => ({ start, end, type, confidence: confidence ?? 0.9 }));
  const labels = Array.from({ length }, (_, i) => {
    const span = predicted.find((s) => s.start <= i && i < s.end);
    return span ? `${i === span.start ? 'B' : 'I'}-${span.type}` : 'O';
  });
  return { labels, spans: predicted, ranked: labels.map(() => []) };
}

const typed = (p: SentencePrediction) => p.spans.map((s) => [s.start, s.end, s.type, s.abbreviation?.shortForm ?? '']);

test("every occurrence of a short form gets its long form's type, with the definition named, and labels follow", () => {
  const text = ['patients with acute renal failure ( ARF ) were seen', 'ARF resolved in most', 'no ARF recurred after aspirin'].map(words);
  const before = [prediction(10, [2, 5, 'Disease', 0.97]), prediction(4, [0, 1, 'Chemical', 0.6]), prediction(5, [4, 5, 'Chemical'])];
  const after = withAbbreviationTypes(text, before, WHOLE_TEXT);
  assert.deepEqual(typed(after[0]), [[2, 5, 'Disease', ''], [6, 7, 'Disease', 'ARF']]);
  assert.deepEqual(typed(after[1]), [[0, 1, 'Disease', 'ARF']]);
  assert.deepEqual(typed(after[2]), [[1, 2, 'Disease', 'ARF'], [4, 5, 'Chemical', '']]);
  assert.deepEqual(after[2].labels, ['O', 'B-Disease', 'O', 'O', 'B-Chemical']);
  assert.deepEqual(after[1].spans[0].abbreviation, { shortForm: 'ARF', longForm: 'acute renal failure', definedIn: 0 });
  assert.equal(after[1].spans[0].confidence, 0.97);
});

test('what an abbreviation leaves alone: longer entities, long forms that are part of an entity or hold entities, lone votes', () => {
  // "ARF patients" is one longer entity; "deficiency of arylsulfatase A" is the entity, not the long form.
  const text = ['deficiency of arylsulfatase A ( ARSA ) and ARF patients', 'ARSA was low'].map(words);
  let after = withAbbreviationTypes(text, [prediction(10, [0, 4, 'Disease']), prediction(3)], WHOLE_TEXT);
  assert.deepEqual(after[1].spans, []);
  // The long form holds a Chemical and a Disease: it keeps them, though most of its short forms are Disease.
  const hit = ['heparin - induced thrombocytopenia ( HIT ) .', 'HIT was confirmed', 'HIT recurred'].map(words);
  after = withAbbreviationTypes(hit, [prediction(8, [0, 1, 'Chemical'], [3, 4, 'Disease'], [5, 6, 'Disease']), prediction(3, [0, 1, 'Disease']), prediction(2)], WHOLE_TEXT);
  assert.deepEqual(typed(after[0]), [[0, 1, 'Chemical', ''], [3, 4, 'Disease', ''], [5, 6, 'Disease', '']]);
  assert.deepEqual(typed(after[2]), [[0, 1, 'Disease', 'HIT']], 'two of three occurrences are Disease: the third follows');
  // One typed occurrence out of three does not type the others, nor the long form.
  const anp = ['atrial natriuretic peptide ( ANP ) rose', 'ANP fell', 'ANP rose'].map(words);
  after = withAbbreviationTypes(anp, [prediction(7), prediction(2, [0, 1, 'Chemical']), prediction(2)], WHOLE_TEXT);
  assert.deepEqual(after.map(typed), [[], [[0, 1, 'Chemical', '']], []]);
});

test('a predicted span that starts before the shortest long form types the short form when it is a long form too', () => {
  const text = ['the patient developed thrombotic thrombocytopenic purpura ( TTP ) .', 'the TTP resolved'].map(words);
  assert.deepEqual(forms(text[0].join(' ')), [['TTP', 'thrombocytopenic purpura']]);
  let after = withAbbreviationTypes(text, [prediction(10, [3, 6, 'Disease']), prediction(3)], WHOLE_TEXT);
  assert.deepEqual(typed(after[1]), [[1, 2, 'Disease', 'TTP']]);
  // "developed thrombotic …" does not start with T.
  after = withAbbreviationTypes(text, [prediction(10, [2, 6, 'Disease']), prediction(3)], WHOLE_TEXT);
  assert.deepEqual(typed(after[1]), []);
});

test("the long form gets its short forms' type when the model typed most of them and not the long form", () => {
  const text = ['acute renal failure ( ARF ) .', 'ARF was treated'].map(words);
  const after = withAbbreviationTypes(text, [prediction(7, [4, 5, 'Disease', 0.8]), prediction(3, [0, 1, 'Disease', 0.95])], WHOLE_TEXT);
  assert.deepEqual(typed(after[0]), [[0, 3, 'Disease', 'ARF'], [4, 5, 'Disease', '']]);
  assert.equal(after[0].spans[0].confidence, 0.95);
});

test('scope: a definition reaches its -DOCSTART- section, or neighbouring sentences, and the nearest definition wins', () => {
  const text = ['cisplatin ( CP ) was given', 'CP helped', 'chronic pancreatitis ( CP ) .', 'CP worsened'].map(words);
  const before = [prediction(5, [0, 1, 'Chemical']), prediction(2), prediction(6, [0, 2, 'Disease']), prediction(2)];
  const types = (scope: Parameters<typeof withAbbreviationTypes>[2]) => withAbbreviationTypes(text, before, scope).map((p) => p.spans.find((s) => s.abbreviation)?.type ?? '-');
  assert.deepEqual(types(WHOLE_TEXT), ['Chemical', 'Chemical', 'Disease', 'Disease']);
  // Sentence lines 0, 6, 10, 14 with documents marked on lines 5 and 9: sentence 1 is alone in its document.
  assert.deepEqual(types(bioScope([0, 6, 10, 14], [5, 9])), ['Chemical', '-', 'Disease', 'Disease']);
  assert.deepEqual(types({ window: 0 }), ['Chemical', '-', 'Disease', '-']);
  assert.equal(withAbbreviationTypes(text.map(() => ['no', 'definition']), before, WHOLE_TEXT), before, 'nothing defined: the same predictions');
});

test('a document edited where no abbreviation is involved keeps its abbreviation types; an edit that adds an occurrence types it', () => {
  const memory = new DocumentAbbreviations();
  const text = ['acute renal failure ( ARF ) .', 'ARF was treated', 'the patient went home'].map(words);
  const before = [prediction(7, [0, 3, 'Disease']), prediction(3), prediction(4)];
  const first = memory.apply(text, before, WHOLE_TEXT);
  assert.deepEqual(typed(first[1]), [[0, 1, 'Disease', 'ARF']]);
  const home = [text[0], text[1], words('the patient went home today')];
  const second = memory.apply(home, [before[0], before[1], prediction(5)], WHOLE_TEXT);
  assert.equal(second[1], first[1], 'the typed sentence is reused as it was');
  assert.deepEqual(second[2].spans, []);
  const again = [text[0], text[1], words('ARF did not recur')];
  const third = memory.apply(again, [before[0], before[1], prediction(4)], WHOLE_TEXT);
  assert.deepEqual(typed(third[2]), [[0, 1, 'Disease', 'ARF']]);
  assert.deepEqual(third, withAbbreviationTypes(again, [before[0], before[1], prediction(4)], WHOLE_TEXT));
});

test('a document edited at random keeps, from memory, the abbreviation types a fresh pass gives', () => {
  // A small pseudo-random generator, so that a failure can be replayed.
  let seed = 7;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const pool = [
    'acute renal failure ( ARF ) .', 'ARF was treated', 'chronic pancreatitis ( CP ) .', 'CP worsened with ARF',
    'cisplatin ( CP ) was given', 'the patient went home', 'no ARF and no CP', 'IL - 2 ( IL2 ) rose', 'IL2 fell',
  ].map(words);
  const randomPrediction = (length: number) => {
    const start = next(length);
    return next(3) === 0 ? prediction(length) : prediction(length, [start, start + 1 + next(Math.min(3, length - start)), next(2) ? 'Disease' : 'Chemical', 0.5 + next(50) / 100]);
  };
  const memory = new DocumentAbbreviations();
  const sentences = Array.from({ length: 12 }, () => pool[next(pool.length)]);
  const predictions = sentences.map((s) => randomPrediction(s.length));
  for (let step = 0; step < 300; step++) {
    const s = next(sentences.length);
    if (next(2)) {
      sentences[s] = pool[next(pool.length)];
      predictions[s] = randomPrediction(sentences[s].length);
    } else predictions[s] = randomPrediction(sentences[s].length);
    const scope = next(4) === 0 ? { window: 2 } : WHOLE_TEXT;
    const remembered = memory.apply([...sentences], [...predictions], scope);
    assert.deepEqual(remembered.map(typed), withAbbreviationTypes(sentences, predictions, scope).map(typed), `step ${step}`);
  }
});
