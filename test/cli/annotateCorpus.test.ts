/** `bioner annotate FILES|DIRS… --out DIR`: outputs equal to single-file runs, resumed after an interrupt, refused on other options. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bioner, EXCERPTS, ROOT, TEST_MODEL } from '../support/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-annotate-corpus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (file: string, text: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
};

/** The excerpts' sentences as prose: tokens joined by spaces. */
function excerptSentences(): string[] {
  return EXCERPTS.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split(/\n\s*\n/)
      .map((block) => block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('-DOCSTART-')).map((line) => line.split('\t')[0]).join(' '))
      .filter(Boolean),
  );
}

const SENTENCES = excerptSentences();
const SHARD_SIZE = 7;

/** A small corpus: two BIO files, a text and a Markdown note, 30 documents with one bad line, and what must be skipped. */
const corpus = path.join(dir, 'corpus');
const docsFile = path.join(corpus, 'docs.jsonl');
const BAD_LINE = 12;
const DOCUMENTS = Array.from({ length: 30 }, (_, i) => {
  const text = SENTENCES.slice(3 * i, 3 * i + 3).join(' ');
  if (i === 4) return { id: 'md-4', text: `# Case ${i}\n\n${text}\n\n- ${SENTENCES[200]}\n`, format: 'markdown' };
  // Numbers, strings and no id at all (the line number then).
  return i % 3 === 0 ? { id: i, text } : i % 3 === 1 ? { id: `doc-${i}`, text } : { text };
});
const bioFiles = [write(path.join(corpus, 'BC5CDR.tsv'), readFileSync(EXCERPTS[0], 'utf8')), write(path.join(corpus, 'sub', 'JNLPBA.tsv'), readFileSync(EXCERPTS[1], 'utf8'))];
const notes = write(path.join(corpus, 'notes.txt'), `${SENTENCES.slice(100, 106).join(' ')}\n\n${SENTENCES.slice(106, 110).join(' ')}\n`);
const markdown = write(path.join(corpus, 'sub', 'notes.md'), `# Findings\n\n${SENTENCES.slice(120, 124).join(' ')}\n\n\`\`\`\ncode is not prose\n\`\`\`\n`);
const lines = DOCUMENTS.map((d) => JSON.stringify(d));
lines.splice(BAD_LINE - 1, 0, '{"text": ["not", "a", "string"]}');
write(docsFile, lines.join('\n') + '\n');
write(path.join(corpus, '.hidden', 'skipped.tsv'), readFileSync(EXCERPTS[0], 'utf8'));
write(path.join(corpus, 'table.csv'), 'a,b\n1,2\n');
symlinkSync('..', path.join(corpus, 'sub', 'loop'));

const SHARDS = ['docs.part-00000.jsonl', 'docs.part-00001.jsonl', 'docs.part-00002.jsonl', 'docs.part-00003.jsonl', 'docs.part-00004.jsonl'];
const OUTPUTS = ['BC5CDR.tsv', ...SHARDS, 'notes.txt.jsonl', 'sub/JNLPBA.tsv', 'sub/notes.md.jsonl'];

const annotate = (out: string, ...args: string[]) => bioner('annotate', corpus, '--out', out, '--model', TEST_MODEL, '--shard-size', String(SHARD_SIZE), ...args);

/** Every file under `root`, relative, hidden ones included. */
const filesUnder = (root: string) =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
const outputsUnder = (root: string) => filesUnder(root).filter((f) => !path.basename(f).startsWith('.'));
const temporaryFiles = (root: string) => filesUnder(root).filter((f) => /\.bioner-\d+-[0-9a-f]+\.tmp$/.test(f));

const firstRun = path.join(dir, 'out');
let first: ReturnType<typeof bioner>;
before(() => {
  first = annotate(firstRun);
});

test('each output is what bioner annotate FILE gives; hidden entries, other extensions and the link loop are skipped', () => {
  assert.equal(first.status, 1, first.stderr);
  assert.deepEqual(filesUnder(firstRun), ['.bioner-annotate.json', ...OUTPUTS]);
  for (const [file, output] of [[bioFiles[0], 'BC5CDR.tsv'], [bioFiles[1], 'sub/JNLPBA.tsv']]) {
    const single = bioner('annotate', file, '--model', TEST_MODEL);
    assert.equal(single.status, 0, single.stderr);
    assert.equal(readFileSync(path.join(firstRun, output), 'utf8'), single.stdout, output);
  }
  for (const [file, output] of [[notes, 'notes.txt.jsonl'], [markdown, 'sub/notes.md.jsonl']]) {
    const single = bioner('annotate', file, '--model', TEST_MODEL, '--format', 'jsonl');
    assert.equal(single.status, 0, single.stderr);
    assert.ok(single.stdout.includes('"entities":[{'), `${file} has entities`);
    assert.equal(readFileSync(path.join(firstRun, output), 'utf8'), single.stdout, output);
  }
  assert.match(first.stderr, /annotated 5 files, skipped 0 \(0 outputs already in .*\); 30 documents, [\d,]+ sentences, [\d,]+ words in [\d.]+ s, [\d,]+ words\/s; 1 bad line skipped/);
});

test('documents: shards of --shard-size, each line the entities of annotating its text alone, offsets into it', () => {
  const written = SHARDS.map((s) => readFileSync(path.join(firstRun, s), 'utf8').trimEnd().split('\n'));
  assert.deepEqual(written.map((s) => s.length), [7, 7, 7, 7, 2]);
  const records = written.flat().map((line) => JSON.parse(line));
  // Without an id, a document's is its line number; the bad line moves the ones after it.
  const lineOf = (i: number) => (i + 1 < BAD_LINE ? i + 1 : i + 2);
  assert.deepEqual(
    records.map((r) => r.id),
    DOCUMENTS.map((d, i) => ('id' in d ? d.id : lineOf(i))),
  );
  let entities = 0;
  DOCUMENTS.forEach((document, i) => {
    const alone = write(path.join(dir, 'alone', `doc-${i}.${document.format === 'markdown' ? 'md' : 'txt'}`), document.text);
    const single = bioner('annotate', alone, '--model', TEST_MODEL, '--format', 'jsonl');
    assert.equal(single.status, 0, single.stderr);
    const expected = single.stdout.trimEnd().split('\n').flatMap((line) => JSON.parse(line).entities);
    assert.deepEqual(records[i].entities, expected, `document ${i}`);
    for (const e of records[i].entities) assert.equal(document.text.slice(e.start, e.end), e.text);
    entities += expected.length;
  });
  assert.ok(entities > 30, `${entities} entities`);
});

test('a line that is no document is reported at FILE:LINE and skipped; the exit code is 1', () => {
  assert.match(first.stderr, new RegExp(`${docsFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${BAD_LINE}: no "text" string; skipped`));
  assert.equal(first.stderr.match(/; skipped\n/g)?.length, 1);
});

test('a rerun skips every output, says so, and removes the temporary files of a run that no longer runs', () => {
  const before = OUTPUTS.map((f) => statSync(path.join(firstRun, f)).mtimeMs);
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const stale = write(path.join(firstRun, 'sub', `.JNLPBA.tsv.bioner-${dead}-0123abcd.tmp`), 'half a file');
  const again = annotate(firstRun);
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stderr, /annotated 0 files, skipped 5 \(9 outputs already in .*\); 0 documents, 0 sentences, 0 words/);
  assert.deepEqual(
    OUTPUTS.map((f) => statSync(path.join(firstRun, f)).mtimeMs),
    before,
  );
  assert.throws(() => statSync(stale), /ENOENT/);
});

test('other options, or another model, are refused with the differences; --force annotates everything again', () => {
  const out = path.join(dir, 'options');
  assert.equal(annotate(out).status, 1);
  for (const [args, message] of [
    [['--format', 'jsonl'], /format: none then, jsonl now/],
    [['--no-abbreviations'], /no-abbreviations: false then, true now/],
    [['--shard-size', '8'], /shard-size: 7 then, 8 now/],
  ] as const) {
    const run = annotate(out, ...args);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /pass --force to annotate everything again/);
  }
  const otherModel = path.join(dir, 'model-copy');
  spawnSync('cp', ['-r', TEST_MODEL, otherModel]);
  const moved = bioner('annotate', corpus, '--out', out, '--model', otherModel, '--shard-size', String(SHARD_SIZE));
  assert.equal(moved.status, 2);
  assert.match(moved.stderr, /model: .* then, .*model-copy now/);
  const forced = annotate(out, '--shard-size', '8', '--force');
  assert.equal(forced.status, 1, forced.stderr);
  assert.match(forced.stderr, /annotated 5 files, skipped 0/);
  // Four shards of 8 now: the fifth, of the run with 7, would repeat documents and is gone.
  assert.deepEqual(outputsUnder(out), ['BC5CDR.tsv', ...SHARDS.slice(0, 4), 'notes.txt.jsonl', 'sub/JNLPBA.tsv', 'sub/notes.md.jsonl']);
  const foreign = path.join(dir, 'foreign');
  write(path.join(foreign, 'mine.txt'), 'not an output');
  const refused = annotate(foreign);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /holds files but no \.bioner-annotate\.json/);
});

test('usage: a folder or several files need --out, --output does not go with it; two inputs into one output are refused', () => {
  for (const args of [[corpus], [notes, markdown], [notes, '--shard-size', '3'], [corpus, '--out', path.join(dir, 'u'), '--output', path.join(dir, 'x')]]) {
    const run = bioner('annotate', ...args, '--model', TEST_MODEL);
    assert.equal(run.status, 2, args.join(' '));
    assert.match(run.stderr, /Usage:/);
  }
  const twin = write(path.join(dir, 'twin', 'notes.txt'), 'Another note.');
  const clash = bioner('annotate', notes, twin, '--out', path.join(dir, 'clash'), '--model', TEST_MODEL);
  assert.equal(clash.status, 2);
  assert.match(clash.stderr, /would both be written to .*notes\.txt\.jsonl/);
  const onItself = bioner('annotate', bioFiles[0], '--out', corpus, '--model', TEST_MODEL, '--force');
  assert.equal(onItself.status, 2);
  assert.match(onItself.stderr, /would replace the input/);
});

test('a file that cannot be read is reported with its path; the others are annotated and the exit code is 1', () => {
  const missing = path.join(dir, 'missing.tsv');
  const run = bioner('annotate', missing, notes, '--out', path.join(dir, 'partial'), '--model', TEST_MODEL);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file or directory \\(ENOENT\\)`));
  assert.deepEqual(outputsUnder(path.join(dir, 'partial')), ['notes.txt.jsonl']);
});

/** About 2,700 distinct documents (a word per copy keeps the engine's sentence cache from answering): seconds of work. */
const big = path.join(dir, 'big');
write(
  path.join(big, 'abstracts.jsonl'),
  Array.from({ length: 14 }, (_, copy) => Array.from({ length: Math.floor(SENTENCES.length / 3) }, (_, i) => JSON.stringify({ text: SENTENCES.slice(3 * i, 3 * i + 3).map((s) => `Series${copy} ${s}`).join(' ') })))
    .flat()
    .join('\n') + '\n',
);
write(path.join(big, 'BC5CDR.tsv'), readFileSync(EXCERPTS[0], 'utf8'));
const BIG_SHARD = '100';
const annotateBig = (out: string) => bioner('annotate', big, '--out', out, '--model', TEST_MODEL, '--shard-size', BIG_SHARD);
const contents = (root: string) => Object.fromEntries(outputsUnder(root).map((f) => [f, readFileSync(path.join(root, f), 'utf8')]));

let reference: Record<string, string>;
before(() => {
  const run = annotateBig(path.join(dir, 'big-reference'));
  assert.equal(run.status, 0, run.stderr);
  reference = contents(path.join(dir, 'big-reference'));
});

/** Starts a run into `out` and sends `signal` as soon as its first output is renamed into place. */
async function interruptAtFirstOutput(out: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  mkdirSync(out);
  const watcher = watch(out);
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'annotate', big, '--out', out, '--model', TEST_MODEL, '--shard-size', BIG_SHARD], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const output = new Promise<void>((resolve) => watcher.on('change', (_, name) => /^[^.].*\.part-\d+\.jsonl$/.test(String(name)) && resolve()));
  await Promise.race([output, exited]);
  watcher.close();
  child.kill(signal);
  const [code, by] = await exited;
  return { code, signal: by, stderr };
}

test('killed mid-way (SIGKILL), a run leaves only whole outputs; the rerun completes them as an uninterrupted run would', async () => {
  const out = path.join(dir, 'killed');
  const killed = await interruptAtFirstOutput(out, 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL', `the run ended before it was killed: ${killed.stderr}`);
  const left = contents(out);
  assert.ok(Object.keys(left).length >= 1 && Object.keys(left).length < Object.keys(reference).length, Object.keys(left).join(' '));
  for (const [file, text] of Object.entries(left)) assert.equal(text, reference[file], `${file} is whole`);
  const resumed = annotateBig(out);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`\\(${Object.keys(left).length} outputs? already in`));
  assert.deepEqual(contents(out), reference);
  assert.deepEqual(temporaryFiles(out), []);
});

test('Ctrl-C (SIGINT) exits 130, its temporary file removed, the outputs written so far whole', async () => {
  const out = path.join(dir, 'interrupted');
  const interrupted = await interruptAtFirstOutput(out, 'SIGINT');
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.deepEqual(temporaryFiles(out), []);
  const left = contents(out);
  assert.ok(Object.keys(left).length < Object.keys(reference).length);
  for (const [file, text] of Object.entries(left)) assert.equal(text, reference[file], `${file} is whole`);
});
