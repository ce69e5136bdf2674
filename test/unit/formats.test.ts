/** Annotation formats: round trips through doccano, Label Studio, Prodigy and brat, reported problems, LLM answers aligned to gold. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readSentences, wordsOf } from '../../server/src/core/conll/corpus';
import { convertText } from '../../server/src/core/conll/convert';
import { tagOf, type TokenLine } from '../../server/src/core/conll/reader';
import { chunkEntities } from '../../server/src/core/conll/sequence';
import { evaluate } from '../../server/src/core/eval/score';
import { convertFile, describeConversion, outputsAt, type Conversion } from '../../server/src/core/formats/convertFile';
import { importGenerative, MissingTypeError } from '../../server/src/core/formats/importGenerative';
import { CHARACTER_FORMATS, type TargetFormat } from '../../server/src/core/formats/model';
import { CodePoints } from '../../server/src/core/formats/offsets';
import { detectTextKind } from '../../server/src/core/formats/words';
import { bio, EXCERPTS } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-formats-'));
const settings = { tagColumn: -1, scheme: 'auto' as const };
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const EXTENSIONS: Record<TargetFormat, string> = { iob2: '.bio', iobes: '.bioes', doccano: '.jsonl', labelstudio: '.json', prodigy: '.jsonl', brat: '.ann' };

/** Converts `input` to `to` and writes the result under `name`; returns the path to read it back from and the conversion. */
async function convert(input: string, to: TargetFormat, name: string): Promise<{ file: string; conversion: Conversion }> {
  const conversion = await convertFile({ input, to, text: 'auto', settings });
  const file = path.join(dir, name + EXTENSIONS[to]);
  for (const { file: out, text } of outputsAt(conversion, file)) writeFileSync(out, text);
  return { file, conversion };
}

/** Each sentence as its words and its tag column's text. */
async function tokensAndTags(file: string): Promise<{ words: string[]; tags: string[] }[]> {
  return (await readSentences(file, settings)).map((tokens) => ({ words: wordsOf(tokens), tags: tokens.map((t) => t.tagColumn?.text ?? '') }));
}

const jsonLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));

for (const excerpt of EXCERPTS) {
  for (const format of CHARACTER_FORMATS) {
    test(`${path.basename(excerpt)} → ${format} → IOB2 gives the same tokens, sentences and tags`, async () => {
      const name = `${path.basename(excerpt, '.tsv')}-${format}`;
      const there = await convert(excerpt, format, name);
      assert.deepEqual(there.conversion.problems, []);
      const back = await convert(there.file, 'iob2', `${name}-back`);
      assert.deepEqual(back.conversion.problems, [], describeConversion(back.conversion).join('\n'));
      assert.equal(back.conversion.from, format);
      assert.equal(back.conversion.textKind, 'pretokenized', 'text written from BIO reads back as its tokens');
      assert.deepEqual(await tokensAndTags(back.file), await tokensAndTags(excerpt));
    });
  }
}

test('BIO → doccano → IOBES equals the IOBES conversion of the BIO file itself', async () => {
  const [excerpt] = EXCERPTS;
  const doccano = await convert(excerpt, 'doccano', 'bc5cdr-for-iobes');
  const iobes = await convert(doccano.file, 'iobes', 'bc5cdr-iobes');
  const direct = write('bc5cdr-direct.bioes', convertText(readFileSync(excerpt, 'utf8'), settings, 'IOBES').text);
  assert.deepEqual(await tokensAndTags(iobes.file), await tokensAndTags(direct));
});

test('JNLPBA tokens such as "1.25" and "B-lymphocyte" stay whole, and the -DOCSTART- marks are counted as not kept', async () => {
  const jnlpba = EXCERPTS[1];
  const { conversion } = await convert(jnlpba, 'doccano', 'jnlpba-notes');
  assert.ok(conversion.notes.some((n) => /^\d+ -DOCSTART- mark\(s\) not kept/.test(n)), conversion.notes.join('\n'));
  const texts = jsonLines(path.join(dir, 'jnlpba-notes.jsonl')).map((r: { text: string }) => r.text);
  assert.equal(detectTextKind(texts), 'pretokenized');
  assert.equal(detectTextKind(['Aspirin, a salicylate, was given.']), 'prose');
});

test('BIO input: malformed tags and untyped entities are problems at their lines, read as O', async () => {
  const input = write('faulty.bio', bio('a B', 'b I', 'c B_X', 'd B-Y'));
  const { file, conversion } = await convert(input, 'doccano', 'faulty');
  assert.deepEqual(conversion.problems.map((p) => `${path.basename(p.location)}: ${p.message}`), [
    "faulty.bio:3: the prefix must be followed by '-', not '_'; read as O",
    'faulty.bio:1: an untyped entity (B, I without a type): the other formats need a type; skipped',
  ]);
  assert.deepEqual(jsonLines(file), [{ text: 'a b c d', label: [[6, 7, 'Y']] }]);
});

/** Corpus sentences written as prose ("bleeding ( 5 - FU )" → "bleeding (5-FU)") with their entities, as doccano records. */
function proseRecords(sentences: TokenLine[][]): { text: string; label: [number, number, string][] }[] {
  return sentences.map((tokens) => {
    const words = wordsOf(tokens);
    const starts: number[] = [];
    let text = '';
    words.forEach((word, i) => {
      const glued = i === 0 || /^[,.;:)\]%-]$/.test(word) || /^[(\[-]$/.test(words[i - 1]);
      if (!glued) text += ' ';
      starts.push(text.length);
      text += word;
    });
    const label = chunkEntities(tokens.map(tagOf)).map((c): [number, number, string] => [starts[c.start], starts[c.end - 1] + words[c.end - 1].length, c.type]);
    return { text, label };
  });
}

test('doccano → Label Studio → Prodigy → brat → doccano keeps every text and span exactly, overlaps and astral characters included', async () => {
  const records = proseRecords((await readSentences(EXCERPTS[0], settings)).slice(0, 120));
  // Non-BMP characters: files count code points, JavaScript UTF-16 units.
  const astral = '𝛼-Tocopherol 😀 protects against cisplatin nephrotoxicity.';
  const points = new CodePoints(astral);
  const at = (s: string) => points.fromUnits(astral.indexOf(s));
  records.push({ text: astral, label: [[at('𝛼'), at(' 😀'), 'Chemical'], [at('cisplatin'), at('cisplatin') + 9, 'Chemical'], [at('cisplatin'), at('.'), 'Disease']] });
  const input = write('chain.jsonl', records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  let file = input;
  for (const [i, format] of (['labelstudio', 'prodigy', 'brat', 'doccano'] as const).entries()) {
    const step = await convert(file, format, `chain-${i}-${format}`);
    // Prodigy needs tokens: spans that cut a word are said to (none here), but kept to the character.
    assert.deepEqual(step.conversion.problems, [], `${format}: ${describeConversion(step.conversion).join('\n')}`);
    assert.equal(step.conversion.entities, records.reduce((n, r) => n + r.label.length, 0));
    file = step.file;
  }
  const sorted = (label: [number, number, string][]) => [...label].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2].localeCompare(b[2]));
  assert.deepEqual(
    jsonLines(file).map((r: { text: string; label: [number, number, string][] }) => ({ text: r.text, label: sorted(r.label) })),
    records.map((r) => ({ text: r.text, label: sorted(r.label) })),
  );
  const prodigy = jsonLines(path.join(dir, 'chain-1-prodigy.jsonl'));
  const last = prodigy[prodigy.length - 1];
  assert.deepEqual(last.spans[0], { start: 0, end: 12, token_start: 0, token_end: 2, label: 'Chemical' }, '𝛼 - Tocopherol: three tokens, token_end inclusive');
  assert.equal(readFileSync(path.join(dir, 'chain-2-brat.txt'), 'utf8').split('\n').length, records.length + 1, 'one record a line');
});

test('doccano prose to BIO: spans inside words and overlapping spans are reported at their record, mapped and kept first/longest', async () => {
  const text = 'Aspirin-induced asthma in 5 pts. Naproxen caused renal failure (ARF).';
  const span = (s: string, type: string, from = 0): [number, number, string] => [text.indexOf(s, from), text.indexOf(s, from) + s.length, type];
  const input = write(
    'prose.jsonl',
    [
      JSON.stringify({ text, label: [span('Aspirin', 'Chemical'), span('sthma', 'Disease'), span('renal failure', 'Disease'), span('failure', 'Disease')] }),
      'not json',
      JSON.stringify({ text: 'Cisplatin nephrotoxicity', entities: [{ start_offset: 0, end_offset: 24, label: 'Disease' }, { start_offset: 0, end_offset: 9, label: 'Chemical' }, { start_offset: 3, end_offset: 99, label: 'X' }] }),
    ].join('\n') + '\n',
  );
  const { file, conversion } = await convert(input, 'iob2', 'prose-bio');
  assert.equal(conversion.textKind, 'prose');
  assert.deepEqual(
    conversion.problems.map((p) => `${path.basename(p.location)}: ${p.message}`),
    [
      `prose.jsonl:2: not valid JSON (${/not valid JSON \((.*)\); skipped/.exec(conversion.problems[0].message)![1]}); skipped`,
      'prose.jsonl:3: span 3-99 (X) is outside the text (24 characters) or empty; skipped',
      "prose.jsonl:1: span 17-22 'sthma' (Disease) starts or ends inside a word, which BIO cannot show: tagged on the word(s) it touches, 'asthma'",
      "prose.jsonl:1: span 55-62 'failure' (Disease) overlaps 49-62 'renal failure' (Disease), which is kept: BIO holds no nested or overlapping entities; skipped",
      "prose.jsonl:3: span 0-9 'Cisplatin' (Chemical) overlaps 0-24 'Cisplatin nephrotoxicity' (Disease), which is kept: BIO holds no nested or overlapping entities; skipped",
    ],
  );
  assert.deepEqual(await tokensAndTags(file), [
    { words: ['Aspirin', '-', 'induced', 'asthma', 'in', '5', 'pts', '.'], tags: ['B-Chemical', 'O', 'O', 'B-Disease', 'O', 'O', 'O', 'O'] },
    { words: ['Naproxen', 'caused', 'renal', 'failure', '(', 'ARF', ')', '.'], tags: ['O', 'O', 'B-Disease', 'I-Disease', 'O', 'O', 'O', 'O'] },
    { words: ['Cisplatin', 'nephrotoxicity'], tags: ['B-Disease', 'I-Disease'] },
  ]);
  assert.match(describeConversion(conversion).join('\n'), /^5 problem\(s\):$/m);
});

test('a sentence break never falls inside an entity: the sentences it reaches join', async () => {
  const text = 'Caused by Strep. Pneumoniae here. Then cured.';
  const input = write('across.jsonl', JSON.stringify({ text, label: [[10, 27, 'Species']] }) + '\n');
  const { file, conversion } = await convert(input, 'iob2', 'across');
  assert.deepEqual(conversion.problems, []);
  // The splitter ends a sentence at "Strep." (no abbreviation it knows); the entity keeps "Pneumoniae here." with it.
  assert.deepEqual((await tokensAndTags(file)).map((s) => s.tags.join(' ')), ['O O B-Species I-Species I-Species O O', 'O O O']);
});

test('brat: discontinuous entities are reported at their .ann line and skipped; relations, events, attributes and notes are counted', async () => {
  write('doc.txt', 'Aspirin causes gastric bleeding.\nNaproxen and\nrenal\nfailure here.\n');
  const ann = write(
    'doc.ann',
    [
      'T1\tChemical 0 7\tAspirin',
      'T2\tDisease 15 31\tgastric bleeding',
      'T3\tDisease 0 7;15 22\tAspirin gastric',
      'R1\tCause Arg1:T1 Arg2:T2',
      'E1\tCause:T1',
      'A1\tNegated T2',
      '#1\tAnnotatorNotes T1\tchecked',
      'T4\tChemical 33 41\tNaprxen',
      'T5\tDisease 46 59\trenal failure',
      'garbage',
    ].join('\n') + '\n',
  );
  const { file, conversion } = await convert(ann, 'iob2', 'brat-bio');
  assert.deepEqual(
    conversion.problems.map((p) => `${path.basename(p.location)}: ${p.message}`),
    [
      "doc.ann:3: T3 (Disease) is discontinuous (fragments 0 7;15 22, 'Aspirin gastric'): one span cannot hold it; skipped",
      "doc.ann:8: T4 says its text is 'Naprxen' but the text at 33-41 is 'Naproxen'; the offsets are kept",
      "doc.ann:10: not a brat annotation line ('garbage'); skipped",
    ],
  );
  assert.deepEqual(conversion.notes, [
    '1 relation line(s) ignored (only entities are converted)',
    '1 event line(s) ignored (only entities are converted)',
    '1 attribute line(s) ignored (only entities are converted)',
    '1 note line(s) ignored (only entities are converted)',
  ]);
  // "renal\nfailure" is one entity across a line break: its lines are one record, and one sentence.
  assert.deepEqual(await tokensAndTags(file), [
    { words: ['Aspirin', 'causes', 'gastric', 'bleeding', '.'], tags: ['B-Chemical', 'O', 'B-Disease', 'I-Disease', 'O'] },
    { words: ['Naproxen', 'and'], tags: ['B-Chemical', 'O'] },
    { words: ['renal', 'failure', 'here', '.'], tags: ['B-Disease', 'I-Disease', 'O', 'O'] },
  ]);
  const doccano = await convert(ann, 'doccano', 'brat-doccano');
  assert.deepEqual(jsonLines(doccano.file)[2], { text: 'renal\nfailure here.', label: [[0, 13, 'Disease']] });
});

test('Label Studio: predictions stand in for missing annotations; extra labels and wrong span texts are reported', async () => {
  const tasks = [
    { data: { text: 'Aspirin helps.' }, predictions: [{ result: [{ value: { start: 0, end: 7, text: 'Aspirin', labels: ['Chemical'] }, from_name: 'label', to_name: 'text', type: 'labels' }] }] },
    {
      data: { sentence: 'Renal failure.' },
      annotations: [
        { was_cancelled: true, result: [] },
        { result: [{ value: { start: 0, end: 13, text: 'Renal failur', labels: ['Disease', 'Finding'] } }, { type: 'choices', value: { choices: ['ok'] } }] },
      ],
    },
  ];
  const input = write('tasks.json', JSON.stringify(tasks, null, 2));
  const { file, conversion } = await convert(input, 'doccano', 'ls-doccano');
  assert.deepEqual(jsonLines(file), [
    { text: 'Aspirin helps.', label: [[0, 7, 'Chemical']] },
    { text: 'Renal failure.', label: [[0, 13, 'Disease']] },
  ]);
  assert.deepEqual(conversion.problems.map((p) => p.message), [
    "span 0-13 has labels 'Disease', 'Finding': only the first is kept",
    "span 0-13 says its text is 'Renal failur' but the task's text there is 'Renal failure'; the offsets are kept",
  ]);
  const secondTask = JSON.stringify(tasks, null, 2).split('\n').indexOf('  {', 2) + 1;
  assert.equal(conversion.problems[0].location, `${input}:${secondTask}`);
  assert.deepEqual(conversion.notes, ['1 task(s) without annotations: their first prediction was read', '1 result(s) that are not text labels (relations, choices…) ignored']);
});

test("Prodigy: the example's own tokens are the BIO words; rejected examples are skipped", async () => {
  const examples = [
    { text: 'IL-2 receptor binds.', tokens: [{ text: 'IL-2', start: 0, end: 4 }, { text: 'receptor', start: 5, end: 13 }, { text: 'binds', start: 14, end: 19 }, { text: '.', start: 19, end: 20 }], spans: [{ start: 0, end: 13, label: 'protein' }], answer: 'accept' },
    { text: 'Rejected.', spans: [], answer: 'reject' },
  ];
  const input = write('prodigy.jsonl', examples.map((e) => JSON.stringify(e)).join('\n'));
  const { file, conversion } = await convert(input, 'iob2', 'prodigy-bio');
  assert.deepEqual(conversion.problems, []);
  assert.deepEqual(conversion.notes, ['1 example(s) answered "reject" or "ignore" skipped']);
  assert.deepEqual(await tokensAndTags(file), [{ words: ['IL-2', 'receptor', 'binds', '.'], tags: ['B-protein', 'I-protein', 'O', 'O'] }]);
});

test('the input format is told from the name and the content; an unknown one asks for --from', async () => {
  const bioNamedOddly = write('corpus.data', bio('Aspirin B-Chemical', 'works O'));
  assert.equal((await convertFile({ input: bioNamedOddly, to: 'doccano', text: 'auto', settings })).from, 'bio');
  const doccanoNamedOddly = write('records.data', '{"text": "a b", "label": [[0, 1, "X"]]}\n');
  assert.equal((await convertFile({ input: doccanoNamedOddly, to: 'prodigy', text: 'auto', settings })).from, 'doccano');
  const prose = write('notes.data', 'Just some prose.\n');
  await assert.rejects(convertFile({ input: prose, to: 'doccano', text: 'auto', settings }), /cannot tell the format of .*notes\.data.*give --from/);
  const broken = write('broken.json', '[\n{"text": "a"},\n{"text": }\n]');
  const [problem] = (await convertFile({ input: broken, to: 'doccano', text: 'auto', settings })).problems;
  assert.equal(problem.location, `${broken}:3`);
  assert.match(problem.message, /^not valid JSON \(.*\); skipped$/);
  const unclosed = write('unclosed.json', '[{"text": "a"}');
  await assert.rejects(convertFile({ input: unclosed, to: 'doccano', text: 'auto', settings }), /unclosed\.json: not valid JSON: the array's brackets do not close/);
  const unknown = write('unknown.jsonl', '{"sentence": "a"}\n');
  await assert.rejects(convertFile({ input: unknown, to: 'doccano', text: 'auto', settings }), /not a doccano, Label Studio or Prodigy file \(first record: sentence\)/);
});

/** A perfect LLM's answers for a gold file, in each style. */
async function perfectAnswers(gold: string): Promise<Record<'markers' | 'json' | 'typed', string>> {
  const sentences = await readSentences(gold, settings);
  const types = [...new Set(sentences.flatMap((s) => chunkEntities(s.map(tagOf)).map((c) => c.type)))].sort();
  const entities = sentences.map((s) => chunkEntities(s.map(tagOf)).map((c) => ({ ...c, text: wordsOf(s).slice(c.start, c.end).join(' ') })));
  const markers = sentences.map((s, i) => {
    const words = wordsOf(s);
    for (const e of entities[i]) {
      words[e.start] = `@@${words[e.start]}`;
      words[e.end - 1] += `##${e.type}`;
    }
    return words.join(' ');
  });
  const json = entities.map((es) => JSON.stringify(es.map((e) => ({ entity: e.text, type: e.type }))));
  const typed = entities.map((es) => types.map((t) => `${t}: ${es.filter((e) => e.type === t).map((e) => e.text).join('; ') || 'none'}`).join('\n'));
  return { markers: markers.join('\n') + '\n', json: json.join('\n') + '\n', typed: typed.join('\n\n') + '\n' };
}

for (const gold of EXCERPTS) {
  test(`perfect LLM answers on ${path.basename(gold)} (markers, JSON, typed) import as the gold tags and score F1 1`, async () => {
    const goldTags = (await readSentences(gold, settings)).map((s) => s.map(tagOf));
    for (const [style, text] of Object.entries(await perfectAnswers(gold))) {
      const input = write(`${path.basename(gold)}.${style}.txt`, text);
      const conversion = await importGenerative({ input, gold, style: 'auto', to: 'iob2', settings });
      assert.deepEqual(conversion.problems, [], style);
      assert.match(conversion.notes[0], new RegExp(`^answers read as ${style};`));
      const pred = write(`${path.basename(gold)}.${style}.bio`, conversion.outputs[0].text);
      const predicted = (await readSentences(pred, settings)).map((s) => s.map(tagOf));
      assert.deepEqual(predicted, goldTags, style);
      assert.equal(evaluate(goldTags, predicted).strict.f1, 1);
    }
  });
}

test('LLM answers: k-th mention on the k-th occurrence, case folded when needed, unalignable mentions reported with their sentence', async () => {
  const gold = write('gold.bio', bio('Aspirin B-Chemical', 'and O', 'aspirin B-Chemical', 'cause O', 'IL - 2 O', '', 'Renal B-Disease', 'failure I-Disease', 'returns O'));
  const json = write(
    'answers.jsonl',
    [
      JSON.stringify([{ entity: 'aspirin', type: 'chemical' }, { entity: 'aspirin', type: 'Chemical' }, { entity: 'aspirin', type: 'Chemical' }, { entity: 'IL-2', type: 'Gene' }, { entity: 'ibuprofen', type: 'Chemical' }]),
      JSON.stringify([{ text: 'renal failure', label: 'Disease' }, { text: 'failure', label: 'Disease' }]),
    ].join('\n') + '\n',
  );
  const conversion = await importGenerative({ input: json, gold, style: 'auto', to: 'iob2', settings });
  assert.deepEqual(
    conversion.problems.map((p) => `${path.basename(p.location)}: ${p.message}`),
    [
      "answers.jsonl:1: sentence 1: 'aspirin' (Chemical) occurs 2 time(s), each taken by another mention; not tagged",
      "answers.jsonl:1: sentence 1: 'ibuprofen' (Chemical) is not in the sentence (as whole tokens); not tagged",
      "answers.jsonl:2: sentence 2: 'failure' (Disease) occurs only inside or across entities placed before; not tagged",
    ],
  );
  const output = write('answers.bio', conversion.outputs[0].text);
  assert.deepEqual((await tokensAndTags(output)).map((s) => s.tags), [
    ['B-Chemical', 'O', 'B-Chemical', 'O', 'B-Gene'],
    ['B-Disease', 'I-Disease', 'O'],
  ]);
  assert.ok(conversion.notes.some((n) => /type 'Gene' is none of .*gold\.bio's types \(Chemical, Disease\)/.test(n)), conversion.notes.join('\n'));
});

test('LLM answers: untyped markers take --type, a count mismatch is an error, typed blocks read "none"', async () => {
  const gold = write('gold2.bio', bio('Aspirin B-Chemical', 'helps O', '', 'Nothing O', 'here O'));
  const markers = write('markers.txt', '@@Aspirin## helps\nNothing here\n');
  await assert.rejects(importGenerative({ input: markers, gold, style: 'auto', to: 'iob2', settings }), (e) => e instanceof MissingTypeError && /markers\.txt:1: 'Aspirin' has no type: give --type/.test(e.message));
  const typedMarkers = await importGenerative({ input: markers, gold, style: 'auto', type: 'Chemical', to: 'iobes', settings });
  assert.equal(typedMarkers.outputs[0].text, 'Aspirin\tB-Chemical\tS-Chemical\nhelps\tO\tO\n\nNothing\tO\tO\nhere\tO\tO\n');
  const short = write('short.txt', '<Chemical>Aspirin</Chemical> helps\n');
  await assert.rejects(importGenerative({ input: short, gold, style: 'auto', to: 'iob2', settings }), /short\.txt has 1 answer\(s\) \(markers: line\(s\), one a sentence\) but .*gold2\.bio has 2 sentence\(s\)/);
  const typed = write('typed.txt', 'Chemical: Aspirin\nDisease: none\n\nChemical: -\nDisease:\n');
  const fromTyped = await importGenerative({ input: typed, gold, style: 'auto', to: 'iob2', settings });
  assert.equal(fromTyped.notes[0], 'answers read as typed; 1 mention(s), 1 placed on ' + gold + "'s tokens");
  const lists = write('lists.json', '[[{"entity": "Aspirin", "type": "Chemical"}], []]');
  assert.equal((await importGenerative({ input: lists, gold, style: 'auto', to: 'iob2', settings })).entities, 1);
});
