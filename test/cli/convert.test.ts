/** `bioner convert` between formats (each way), its exit codes and problems, and LLM answers imported for `bioner eval`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bio, EXCERPTS, ROOT } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-convert-cli-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
/** The token and tag lines of a BIO text, sentence breaks squeezed to one blank line and -DOCSTART- marks left out. */
const tokenLines = (text: string) => text.split('\n').filter((l) => !l.startsWith('-DOCSTART-')).join('\n').replace(/\n{3,}/g, '\n\n').trim();

test('BIO → doccano on stdout → IOB2 gives the file back; the summary goes to stderr, exit 0', () => {
  const [excerpt] = EXCERPTS;
  const doccano = bioner('convert', excerpt, '--to', 'doccano');
  assert.equal(doccano.status, 0, doccano.stderr);
  assert.match(doccano.stderr, /^bio → doccano: 300 record\(s\) read; 300 record\(s\) and 606 entities written\nno problems\n$/);
  const records = write('bc5cdr.jsonl', doccano.stdout);
  const back = path.join(dir, 'bc5cdr-back.bio');
  const result = bioner('convert', records, '--to', 'iob2', '--output', back);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /texts read as pretokenized; 300 sentence\(s\) and 606 entities written/);
  assert.equal(tokenLines(readFileSync(back, 'utf8')), tokenLines(readFileSync(excerpt, 'utf8')));
});

test('BIO → brat needs --output and writes BASE.txt and BASE.ann; brat → Label Studio → IOBES', () => {
  const jnlpba = EXCERPTS[1];
  const usage = bioner('convert', jnlpba, '--to', 'brat');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--to brat writes two files: give --output BASE/);
  const base = path.join(dir, 'jnlpba');
  const brat = bioner('convert', jnlpba, '--to', 'brat', '--output', base);
  assert.equal(brat.status, 0, brat.stderr);
  assert.match(brat.stderr, /note: \d+ -DOCSTART- mark\(s\) not kept/);
  assert.match(readFileSync(`${base}.ann`, 'utf8'), /^T1\tprotein 10 34\tglucocorticoid receptors$/m);
  const tasks = bioner('convert', `${base}.txt`, '--to', 'labelstudio', '--output', path.join(dir, 'jnlpba.json'));
  assert.equal(tasks.status, 0, tasks.stderr);
  const iobes = bioner('convert', path.join(dir, 'jnlpba.json'), '--to', 'iobes');
  assert.equal(iobes.status, 0, iobes.stderr);
  assert.equal(tokenLines(iobes.stdout), tokenLines(bioner('convert', jnlpba, '--to', 'iobes').stdout));
});

test('a span that cannot be represented is reported at its line on stderr and the exit code is 1; the input is never written over', () => {
  const text = 'Aspirin-induced asthma.';
  const input = write('cut.jsonl', JSON.stringify({ text, label: [[0, 7, 'Chemical'], [17, 22, 'Disease']] }) + '\n');
  const before = readFileSync(input, 'utf8');
  const result = bioner('convert', input, '--to', 'iob2');
  assert.equal(result.status, 1);
  assert.equal(result.stdout, bio('Aspirin B-Chemical', '- O', 'induced O', 'asthma B-Disease', '. O') + '\n');
  assert.match(result.stderr, new RegExp(`^${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: span 17-22 'sthma' \\(Disease\\) starts or ends inside a word, which BIO cannot show: tagged on the word\\(s\\) it touches, 'asthma'$`, 'm'));
  const over = bioner('convert', input, '--to', 'prodigy', '--output', input);
  assert.equal(over.status, 2);
  assert.match(over.stderr, /would write .*cut\.jsonl, an input: inputs are never modified/);
  assert.equal(readFileSync(input, 'utf8'), before);
});

test('LLM answers (--from generative) aligned to the gold file score as the gold with bioner eval --pred; unalignable ones exit 1', () => {
  const gold = write('gold.bio', bio('Aspirin B-Chemical', 'causes O', 'gastric B-Disease', 'bleeding I-Disease', '', 'No O', 'harm O'));
  const answers = write('answers.txt', '@@Aspirin##Chemical causes <Disease>gastric bleeding</Disease>\nNo harm\n');
  const pred = path.join(dir, 'answers.bio');
  const imported = bioner('convert', answers, '--from', 'generative', '--gold', gold, '--to', 'iob2', '--output', pred);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stderr, /answers read as markers; 2 mention\(s\), 2 placed/);
  assert.equal(readFileSync(pred, 'utf8'), 'Aspirin\tB-Chemical\tB-Chemical\ncauses\tO\tO\ngastric\tB-Disease\tB-Disease\nbleeding\tI-Disease\tI-Disease\n\nNo\tO\tO\nharm\tO\tO\n');
  const scored = bioner('eval', gold, '--pred', pred, '--json');
  assert.equal(scored.status, 0, scored.stderr);
  assert.equal(JSON.parse(scored.stdout).strict.f1, 1);

  const typed = write('typed.txt', 'Chemical: aspirin; ibuprofen\nDisease: none\n\nChemical: none\n');
  const partial = bioner('convert', typed, '--from', 'generative', '--gold', gold, '--to', 'iob2', '--generative', 'typed');
  assert.equal(partial.status, 1);
  assert.match(partial.stderr, /typed\.txt:1: sentence 1: 'ibuprofen' \(Chemical\) is not in the sentence \(as whole tokens\); not tagged/);
  const mismatch = bioner('convert', answers, '--from', 'generative', '--gold', EXCERPTS[0], '--to', 'iob2');
  assert.equal(mismatch.status, 2);
  assert.match(mismatch.stderr, /answers\.txt has 2 answer\(s\) \(markers: line\(s\), one a sentence\) but .* has 300 sentence\(s\)/);
  assert.equal(bioner('convert', answers, '--from', 'generative', '--to', 'iob2').status, 2, '--gold is required');
});
