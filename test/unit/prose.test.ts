import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskNonProse } from '../../server/src/core/prose/mask';
import { ProseSegmenter, segmentProse } from '../../server/src/core/prose/segment';

const sentences = (text: string, format: 'plaintext' | 'markdown' = 'plaintext') => segmentProse(text, format).map((s) => s.words.map((w) => w.text).join(' '));

test('abbreviations common in biomedical writing and decimals do not end sentences', () => {
  const text =
    'Doses (e.g. 2.5 mg/kg i.v. daily) were given, i.e. twice. Smith et al. showed it in Fig. 3. ' +
    'Aspirin vs. placebo was tested in approx. 40 rats. J. Doe agreed! Was it p.o. or i.m.? Yes.';
  assert.deepEqual(sentences(text), [
    'Doses ( e . g . 2 . 5 mg / kg i . v . daily ) were given , i . e . twice .',
    'Smith et al . showed it in Fig . 3 .',
    'Aspirin vs . placebo was tested in approx . 40 rats .',
    'J . Doe agreed !',
    'Was it p . o . or i . m . ?',
    'Yes .',
  ]);
});

test('words are tokenized like the corpora and their offsets point into the document', () => {
  const text = 'IL-2 and 5-fluorouracil (5-FU)\nreduced TNF-α.\r\n\r\nNew paragraph';
  const segmented = segmentProse(text, 'plaintext');
  assert.deepEqual(segmented.map((s) => s.words.map((w) => w.text)), [
    ['IL', '-', '2', 'and', '5', '-', 'fluorouracil', '(', '5', '-', 'FU', ')', 'reduced', 'TNF', '-', 'α', '.'],
    ['New', 'paragraph'],
  ]);
  for (const sentence of segmented) for (const word of sentence.words) assert.equal(text.slice(word.start, word.end), word.text);
});

test('Markdown: front matter, code, HTML, URLs, link targets and markup are masked, offsets kept', () => {
  const markdown = [
    '---',
    'title: Aspirin',
    '---',
    '# Heading with **bold** text',
    '',
    'See [the trial](https://example.org/aspirin) and <b>ibuprofen</b>, `code here` or www.example.com.',
    '',
    '```',
    'cisplatin = 1',
    '```',
    '',
    '    indented code block',
    '',
    '- item *one*',
    '<!-- a comment -->',
  ].join('\n');
  const masked = maskNonProse(markdown, 'markdown');
  assert.equal(masked.length, markdown.length);
  assert.equal(masked.split('\n').length, markdown.split('\n').length);
  assert.deepEqual(sentences(markdown, 'markdown'), ['Heading with bold text', 'See the trial and ibuprofen , or .', 'item one']);
});

test('plain text masks URLs and e-mail addresses only', () => {
  assert.deepEqual(sentences('Write to a.b@example.org or see https://x.org/a?b=1 now. `kept` *kept*'), ['Write to or see now .', '` kept ` * kept *']);
});

test('the segmenter reuses unchanged paragraphs and gives the same result as a fresh one', () => {
  const segmenter = new ProseSegmenter();
  const first = 'One paragraph here.\n\nSecond paragraph.\n\nThird one.';
  const before = segmenter.segment(first, 'plaintext');
  const edited = first.replace('Second', 'Changed second');
  const after = segmenter.segment(edited, 'plaintext');
  const fresh = segmentProse(edited, 'plaintext');
  assert.deepEqual(after.map((s) => s.words), fresh.map((s) => s.words));
  // The unchanged first paragraph keeps its word array (the engine's cache key), the third moved with the edit.
  assert.equal(after[0].texts, before[0].texts);
  assert.equal(after[2].texts, before[2].texts);
  assert.equal(after[2].start, before[2].start + 'Changed '.length);
});

test('long lines are segmented in linear time, with the same masking and blocks', { timeout: 120_000 }, () => {
  // Each took minutes at this size: an e-mail match tried at every word boundary of a run, a rescan of the rest per
  // unclosed comment, a look-behind at every position of a Markdown line, and a walk over every part of a dotted run.
  const inputs: [string, 'plaintext' | 'markdown'][] = [
    [`${'a.'.repeat(1 << 18)} End.`, 'plaintext'],
    ['<!--'.repeat(1 << 17), 'markdown'],
    [`${'x'.repeat(1 << 19)}\n# Heading\nText`, 'markdown'],
  ];
  for (const [text, format] of inputs) {
    const started = Date.now();
    segmentProse(text, format);
    assert.ok(Date.now() - started < 5000, `${JSON.stringify(text.slice(0, 8))}… took ${Date.now() - started} ms`);
  }
  assert.deepEqual(sentences('# Title\nBody text', 'markdown'), ['Title', 'Body text']);
  assert.deepEqual(sentences('<!-- a --> kept <!-- b', 'markdown'), ['kept < ! - - b']);
  assert.deepEqual(sentences('Mail x.y@example.org or take p.r.n. Doses vary. Then x.p.r.n. Next.'), ['Mail or take p . r . n . Doses vary .', 'Then x . p . r . n .', 'Next .']);
});
