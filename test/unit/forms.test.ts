/** Surface-form consistency: type conflicts, unannotated occurrences and boundary variation, kept incrementally. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../server/src/core/checks/finding';
import type { CorpusFile, SentenceRef } from '../../server/src/core/corpus/detector';
import { corpusFile as file, ref } from '../support/corpusSentences';
import { DEFINITION_REACH_LINES, isAbbreviation, outsideDefinitions } from '../../server/src/core/corpus/abbreviations';
import { SurfaceFormConsistency, type FormThresholds } from '../../server/src/core/corpus/forms';
import { Random } from '../support/random';

const train = file('train.tsv', 'train');
const dev = file('dev.tsv', 'dev');
const test_ = file('test.tsv', 'test');
const iobes = file('test.iobes', 'test', 'IOBES');

function index(refs: SentenceRef[], thresholds?: FormThresholds): SurfaceFormConsistency {
  const forms = new SurfaceFormConsistency(thresholds);
  for (const r of refs) forms.added(r);
  return forms;
}
/** `count` sentences of `file`, ten lines apart from `from`, each with `text`. */
const many = (f: CorpusFile, count: number, text: string, from = 0) => Array.from({ length: count }, (_, i) => ref(f, from + i * 10, text));
const brief = (findings: Finding[]) => findings.map((f) => [f.code, f.line, f.message]);
const codes = (findings: Finding[]) => findings.map((f) => [f.code, f.line]);

test('an occurrence with a minority type is a type conflict, fixed to the majority type, related to majority places', () => {
  const forms = index([...many(train, 4, 'Aspirin/B-Chemical was given .'), ref(test_, 5, 'We gave aspirin/B-Disease daily .')]);
  const findings = forms.findings(test_.file);
  assert.deepEqual(brief(findings), [['type-conflict', 7, "'aspirin' is annotated Chemical 4×, Disease 1×; Disease here"]]);
  const [finding] = findings;
  assert.deepEqual([finding.start, finding.end], [0, 17]);
  assert.deepEqual(finding.fixes, [{ title: 'Change to Chemical (as 4× elsewhere)', edits: [{ line: 7, start: 8, end: 17, newText: 'B-Chemical' }], preferred: true }]);
  // At most three majority places, in the other file, each on the entity's first token.
  assert.deepEqual(finding.related, [0, 10, 20].map((line) => ({ line, start: 0, end: 7, message: 'Annotated Chemical here', file: train.file })));
  // The majority occurrences themselves are not flagged.
  assert.deepEqual(forms.findings(train.file), []);
});

test('a type whose last annotation is removed leaves the message', () => {
  const disease = ref(test_, 5, 'We gave aspirin/B-Gene daily .');
  const forms = index([...many(train, 6, 'Aspirin/B-Chemical was given .'), ref(dev, 0, 'x aspirin/B-Disease y'), disease]);
  assert.equal(forms.findings(dev.file)[0].message, "'aspirin' is annotated Chemical 6×, Disease 1×, Gene 1×; Disease here");
  forms.removed(disease);
  assert.equal(forms.findings(dev.file)[0].message, "'aspirin' is annotated Chemical 6×, Disease 1×; Disease here");
});

test('two minority occurrences get a bulk fix that changes both, across files, after review', () => {
  const forms = index([...many(train, 6, 'Aspirin/B-Chemical was given .'), ref(test_, 5, 'We gave aspirin/B-Disease daily .'), ref(dev, 0, 'aspirin/B-Disease again')]);
  const [finding] = forms.findings(test_.file);
  assert.equal(finding.message, "'aspirin' is annotated Chemical 6×, Disease 2×; Disease here and 1× elsewhere");
  const bulk = finding.fixes[1];
  assert.equal(bulk.title, "Change all 2 occurrences of 'aspirin' annotated Disease to Chemical");
  assert.deepEqual(bulk.corpusWide, { words: ['aspirin'], from: 'Disease', to: 'Chemical' });
  assert.deepEqual(bulk.edits, [], 'the edits are made when the fix is chosen');
  assert.equal(bulk.preferred, undefined);
  assert.deepEqual(
    [...forms.corpusWideEdits(bulk.corpusWide!)].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '')),
    [
      { line: 0, start: 8, end: 17, newText: 'B-Chemical', file: dev.file },
      { line: 7, start: 8, end: 17, newText: 'B-Chemical', file: test_.file },
    ].sort((a, b) => a.file.localeCompare(b.file)),
  );
  assert.deepEqual(codes(forms.findings(dev.file)), [['type-conflict', 0]]);
});

test('an all-O occurrence of an annotated form is unannotated; the fix tags it in IOB2', () => {
  const forms = index([...many(train, 3, 'Severe gastric/B-Disease bleeding/I-Disease occurred .'), ref(test_, 0, 'No gastric bleeding was seen')]);
  const findings = forms.findings(test_.file);
  assert.deepEqual(brief(findings), [['unannotated-occurrence', 1, "'gastric bleeding' is annotated Disease 3×; O here"]]);
  assert.deepEqual(findings[0].fixes, [
    {
      title: 'Annotate as Disease (as 3× elsewhere)',
      edits: [
        { line: 1, start: 8, end: 9, newText: 'B-Disease' },
        { line: 2, start: 9, end: 10, newText: 'I-Disease' },
      ],
      preferred: true,
    },
  ]);
  assert.equal(findings[0].related?.length, 3);
});

test('fixes follow the file scheme: IOBES gets B-/E- and S- tags', () => {
  const forms = index([
    // Six Chemical annotations: 6 / (7 annotated + 1 O) = 0.75 for the O occurrence of 'aspirin'.
    ...many(train, 6, 'Severe gastric/B-Disease bleeding/I-Disease after aspirin/B-Chemical .'),
    ref(iobes, 0, 'gastric bleeding and aspirin here'),
    ref(iobes, 10, 'With aspirin/S-Disease .'),
  ]);
  const findings = forms.findings(iobes.file);
  assert.deepEqual(codes(findings), [
    ['unannotated-occurrence', 0],
    ['unannotated-occurrence', 3],
    ['type-conflict', 11],
  ]);
  assert.deepEqual(
    findings.map((f) => f.fixes[0].edits.map((e) => e.newText)),
    [['B-Disease', 'E-Disease'], ['S-Chemical'], ['S-Chemical']],
  );
});

test('the bulk fix annotates every unannotated occurrence of the form, naming other files', () => {
  const forms = index([
    ...many(train, 6, 'Severe gastric/B-Disease bleeding/I-Disease occurred .'),
    ref(test_, 0, 'No gastric bleeding was seen'),
    ref(dev, 20, 'Gastric bleeding .'),
  ]);
  const [finding] = forms.findings(test_.file);
  assert.equal(finding.message, "'gastric bleeding' is annotated Disease 6×; O here and 1× elsewhere");
  const bulk = finding.fixes[1];
  assert.equal(bulk.title, "Annotate all 2 unannotated occurrences of 'gastric bleeding' as Disease");
  assert.deepEqual(bulk.corpusWide, { words: ['gastric', 'bleeding'], from: 'O', to: 'Disease' });
  // In file then line order.
  assert.deepEqual(forms.corpusWideEdits(bulk.corpusWide!), [
    { line: 20, start: 8, end: 9, newText: 'B-Disease', file: dev.file },
    { line: 21, start: 9, end: 10, newText: 'I-Disease', file: dev.file },
    { line: 1, start: 8, end: 9, newText: 'B-Disease', file: test_.file },
    { line: 2, start: 9, end: 10, newText: 'I-Disease', file: test_.file },
  ]);
  // From the other file's side ("Gastric bleeding"), the same edits.
  const [fromDev] = forms.findings(dev.file);
  assert.deepEqual(forms.corpusWideEdits(fromDev.fixes[1].corpusWide!), forms.corpusWideEdits(bulk.corpusWide!));
});

test('an entity covering part of a form, or crossing its edge, is boundary variation; the fix keeps the outside part', () => {
  const forms = index([
    // Six annotations against two partial covers: 6 / 8 = 0.75.
    ...many(train, 6, 'Severe gastric/B-Disease bleeding/I-Disease occurred .'),
    ref(test_, 0, 'No gastric/B-Disease bleeding here'),
    ref(test_, 10, 'Acute/B-Disease gastric/I-Disease bleeding here'),
  ]);
  const findings = forms.findings(test_.file);
  assert.deepEqual(brief(findings), [
    ['boundary-variation', 1, "'gastric bleeding' is annotated Disease 6×; here 'gastric' is Disease and 1× elsewhere with other extents"],
    ['boundary-variation', 11, "'gastric bleeding' is annotated Disease 6×; here 'Acute gastric' is Disease and 1× elsewhere with other extents"],
  ]);
  // Extended to the whole form; no bulk edit for boundaries.
  assert.deepEqual(findings[0].fixes.map((f) => [f.title, f.edits.map((e) => [e.line, e.newText])]), [['Annotate as Disease (as 6× elsewhere)', [[2, 'I-Disease']]]]);
  // The crossing entity keeps 'Acute' as an entity of its own.
  assert.deepEqual(
    findings[1].fixes[0].edits.map((e) => [e.line, e.newText]),
    [
      [11, 'B-Disease'],
      [12, 'I-Disease'],
    ],
  );
  assert.deepEqual(findings[1].fixes.length, 1);
});

test('an occurrence strictly inside a longer entity is never flagged, whatever its type', () => {
  const forms = index([
    ...many(train, 5, 'Aspirin/B-Chemical and gastric/B-Disease bleeding/I-Disease .'),
    ref(test_, 0, 'Aspirin/B-Disease induced/I-Disease asthma/I-Disease .'),
    ref(test_, 10, 'Upper/B-Disease gastric/I-Disease bleeding/I-Disease .'),
    ref(test_, 20, 'Severe/B-Disease gastric/I-Disease bleeding/I-Disease episodes/I-Disease .'),
  ]);
  assert.deepEqual(forms.findings(test_.file), []);
});

test('forms of only weak words (stop words, punctuation, numbers, single characters) are never flagged as O or boundary', () => {
  const weak = ['of the', '( 2 )', '1.5', 'T', 'and'];
  const refs: SentenceRef[] = [];
  weak.forEach((form, k) => {
    const tagged = form
      .split(' ')
      .map((w, i) => `${w}/${i === 0 ? 'B' : 'I'}-Chemical`)
      .join(' ');
    refs.push(...many(train, 5, `x ${tagged} y`, k * 100));
    refs.push(ref(test_, k * 100, `x ${form} y`));
  });
  // A partial cover of a weak form: 'of' annotated alone inside 'of the'.
  refs.push(ref(test_, 1000, 'x of/B-Chemical the y'));
  assert.deepEqual(index(refs).findings(test_.file), []);
  // A strong word among weak ones makes the form strong.
  const strong = index([...many(train, 5, 'x vitamin/B-Chemical D/I-Chemical y'), ref(test_, 0, 'x vitamin D y')]);
  assert.deepEqual(codes(strong.findings(test_.file)), [['unannotated-occurrence', 1]]);
});

test('case: Capitalized and lower case are one form, other casings are not ("CIN" is not "cin")', () => {
  const forms = index([
    ...many(train, 3, 'low dexamethasone/B-Chemical dose'),
    ...many(train, 3, 'grade CIN/B-Disease lesions', 100),
    ref(test_, 0, 'Dexamethasone was given'),
    ref(test_, 10, 'DEXAMETHASONE was given'),
    ref(test_, 20, 'the cin gene'),
    ref(test_, 30, 'the Cin gene'),
    ref(test_, 40, 'the CIN lesion'),
  ]);
  assert.deepEqual(codes(forms.findings(test_.file)), [
    ['unannotated-occurrence', 0],
    ['unannotated-occurrence', 41],
  ]);
});

test('a tied majority suggests nothing', () => {
  const forms = index([...many(train, 3, 'x cocaine/B-Chemical y'), ...many(dev, 3, 'x cocaine/B-Disease y'), ref(test_, 0, 'x cocaine y'), ref(test_, 10, 'x cocaine/B-Gene y')]);
  for (const f of [train, dev, test_]) assert.deepEqual(forms.findings(f.file), [], f.file);
  // One more Chemical breaks the tie; Disease is then 3 of 8 annotations, Chemical 4 of 8: still no clear majority.
  forms.added(ref(train, 500, 'x cocaine/B-Chemical y'));
  assert.deepEqual(forms.findings(test_.file), []);
});

test('minCount: the majority must be annotated at least minCount times', () => {
  const two = [...many(train, 2, 'x aspirin/B-Chemical y'), ref(test_, 0, 'x aspirin y')];
  assert.deepEqual(index(two).findings(test_.file), []);
  assert.deepEqual(codes(index(two, { minCount: 2, minRatio: 0.6 }).findings(test_.file)), [['unannotated-occurrence', 1]]);
  const three = [...two, ref(dev, 0, 'x aspirin/B-Chemical y')];
  assert.deepEqual(codes(index(three).findings(test_.file)), [['unannotated-occurrence', 1]]);
  assert.deepEqual(index(three, { minCount: 4, minRatio: 0.75 }).findings(test_.file), []);
});

test('minRatio: each code compares the majority with its own denominator, and the boundary value is flagged', () => {
  // 3 exact of 3 + 1 O = 0.75: flagged; with a second O, 3 / 5 = 0.6 is not.
  const base = many(train, 3, 'x aspirin/B-Chemical y');
  assert.deepEqual(codes(index([...base, ref(test_, 0, 'x aspirin y')]).findings(test_.file)), [['unannotated-occurrence', 1]]);
  const twoOutside = [...base, ref(test_, 0, 'x aspirin y'), ref(test_, 10, 'x aspirin y')];
  assert.deepEqual(index(twoOutside).findings(test_.file), []);
  assert.deepEqual(codes(index(twoOutside, { minCount: 3, minRatio: 0.6 }).findings(test_.file)), [
    ['unannotated-occurrence', 1],
    ['unannotated-occurrence', 11],
  ]);
  assert.deepEqual(index(twoOutside, { minCount: 3, minRatio: 0.61 }).findings(test_.file), []);

  // Type conflicts compare with annotations only: O occurrences do not dilute them (3 / 4 with five O's).
  const typed = [...base, ref(test_, 0, 'x aspirin/B-Disease y'), ...many(dev, 5, 'x aspirin y')];
  assert.deepEqual(codes(index(typed).findings(test_.file)), [['type-conflict', 1]]);
  assert.deepEqual(index(typed).findings(dev.file), []);

  // Boundaries compare with annotations and partial covers; unannotated ones also count those partial covers.
  const phrase = many(train, 3, 'x gastric/B-Disease bleeding/I-Disease y');
  const mixed = [...phrase, ref(test_, 0, 'x gastric/B-Disease bleeding y'), ref(test_, 10, 'x gastric bleeding y')];
  // boundary: 3 / (3 + 1) = 0.75, flagged; unannotated: 3 / (3 + 1 + 1) = 0.6, not.
  assert.deepEqual(codes(index(mixed).findings(test_.file)), [['boundary-variation', 1]]);
  const twoPartial = [...mixed, ref(dev, 0, 'x gastric bleeding/B-Disease y')];
  assert.deepEqual(index(twoPartial).findings(test_.file), []);
});

/** A random small corpus over a few forms, so that forms come and go, tie, and cross the thresholds. */
function randomSentence(rand: Random, f: CorpusFile, line: number): SentenceRef {
  const forms = ['aspirin', 'gastric bleeding', 'CIN', 'Cin', 'of the', 'heart failure', 'IL - 2', 'renal'];
  const types = ['Chemical', 'Disease', 'Disease', 'Gene'];
  const parts: string[] = [];
  const length = rand.between(1, 5);
  for (let k = 0; k < length; k++) {
    const words = rand.pick(forms).split(' ');
    const roll = rand.next();
    if (roll < 0.3) parts.push(...words);
    else if (roll < 0.4 && words.length > 1) parts.push(`${words[0]}/B-${rand.pick(types)}`, ...words.slice(1));
    else {
      const type = rand.chance(0.7) ? types[words.length % types.length] : rand.pick(types);
      parts.push(...words.map((w, i) => `${w}/${i === 0 ? 'B' : 'I'}-${type}`));
    }
    if (rand.chance(0.5)) parts.push(rand.pick(['and', 'in', 'patients', '.']));
  }
  return ref(f, line, parts.join(' '));
}

test('added and removed in a seeded random order give the findings of a fresh index of what remains', () => {
  const files = [train, dev, test_, iobes];
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = new Random(seed);
    const incremental = new SurfaceFormConsistency({ minCount: 2, minRatio: 0.6 });
    const kept: SentenceRef[] = [];
    let line = 0;
    let compared = 0;
    for (let step = 0; step < 300; step++) {
      if (kept.length > 0 && rand.chance(0.35)) {
        const [victim] = kept.splice(rand.int(kept.length), 1);
        incremental.removed(victim);
      } else {
        const r = randomSentence(rand, rand.pick(files), line);
        line += 20;
        kept.push(r);
        incremental.added(r);
      }
      // Ask now and then: the counts are built on the first question and kept up to date after it.
      if (step % 25 === 24 || step === 299) {
        const fresh = index([...kept].sort((a, b) => a.id - b.id), { minCount: 2, minRatio: 0.6 });
        for (const f of files) {
          const expected = fresh.findings(f.file);
          compared += expected.length;
          assert.deepEqual(incremental.findings(f.file), expected, `seed ${seed}, step ${step}, ${f.file}`);
        }
      }
    }
    assert.ok(compared > 20, `seed ${seed}: the test needs findings to compare (${compared})`);
    for (const r of kept) incremental.removed(r);
    for (const f of files) assert.deepEqual(incremental.findings(f.file), []);
  }
});

test('an abbreviation the file defines as no entity is not flagged O within the reach of its definition', () => {
  const definition = ref(dev, 0, 'Tidal volume ( VT ) was low .');
  const forms = index([
    ...many(train, 16, 'Sustained VT/B-Disease recurred .'),
    definition,
    ref(dev, 20, 'VT was then raised .'),
    ref(dev, 20 + DEFINITION_REACH_LINES + 10, 'Later VT fell .'),
    ref(test_, 20, 'VT was then raised .'),
  ]);
  // Flagged where no definition reaches: far below it, and in another file.
  assert.deepEqual(codes(forms.findings(dev.file)), [['unannotated-occurrence', 20 + DEFINITION_REACH_LINES + 11]]);
  assert.deepEqual(codes(forms.findings(test_.file)), [['unannotated-occurrence', 20]]);
  // The definition edited away: the occurrence it covered is flagged again.
  forms.removed(definition);
  assert.deepEqual(codes(forms.findings(dev.file)), [
    ['unannotated-occurrence', 20],
    ['unannotated-occurrence', 20 + DEFINITION_REACH_LINES + 11],
  ]);
});

test('abbreviations: short, with capitals, no lower-case run; a definition needs "( X )" with X and the word before O', () => {
  for (const word of ['VT', 'CP', 'THP-1', 'CYP2D6', 'IL-2R', 'PD']) assert.ok(isAbbreviation(word), word);
  for (const word of ['Aspirin', 'cin', 'dopamine', 'A', '(']) assert.ok(!isAbbreviation(word), word);
  const sentence = ref(dev, 0, 'tidal volume ( VT ) and caudate/B-Anatomy putamen/I-Anatomy ( CP ) and ( X )');
  assert.deepEqual(outsideDefinitions(sentence.sentence.words, sentence.sentence.tags), [3]);
});
