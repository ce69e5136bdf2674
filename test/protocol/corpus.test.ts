/** The corpus index over LSP: a train/dev/test folder on disk, diagnostics across files, bulk fixes, navigation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, Location, SymbolInformation, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { EXCERPTS, TEST_MODEL } from '../support/fixtures';
import { FuzzDocument, randomEdit, type RangeEdit } from '../support/fuzzDocument';
import { applyTextEdits, startServer, type ServerSession } from '../support/lspClient';
import { Random } from '../support/random';

const TIMEOUT = { timeout: 60_000 };
const NO_MODEL = { modelPath: '/nonexistent/bioner-model' };

const sentence = (...tokens: [string, string][]) => tokens.map(([word, tag]) => `${word}\t${tag}`).join('\n');
const DRUGS = ['fever', 'pain', 'headache', 'swelling', 'cough', 'cramps', 'stiffness', 'soreness'];
/** Train annotates "aspirin" as Chemical 8 times; dev leaves two occurrences O and calls cisplatin a Disease once. */
const TRAIN = DRUGS.map((symptom) => sentence(['Aspirin', 'B-Chemical'], ['relieved', 'O'], [symptom, 'O'], ['.', 'O']))
  .concat(DRUGS.slice(0, 4).map((symptom) => sentence(['Cisplatin', 'B-Chemical'], ['caused', 'O'], [symptom, 'O'], ['.', 'O'])))
  .join('\n\n');
const DEV = [
  sentence(['We', 'O'], ['gave', 'O'], ['aspirin', 'O'], ['daily', 'O'], ['.', 'O']),
  sentence(['Then', 'O'], ['cisplatin', 'B-Disease'], ['was', 'O'], ['stopped', 'O'], ['.', 'O']),
  sentence(['Aspirin', 'O'], ['was', 'O'], ['withheld', 'O'], ['later', 'O'], ['.', 'O']),
].join('\n\n');

function corpusFolder(): { dir: string; uri: (name: string) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-corpus-'));
  writeFileSync(path.join(dir, 'train.conll'), TRAIN + '\n');
  writeFileSync(path.join(dir, 'dev.conll'), DEV + '\n');
  return { dir, uri: (name) => pathToFileURL(path.join(dir, name)).href };
}

async function corpusDiagnostics(server: ServerSession, uri: string, code: string): Promise<Diagnostic[]> {
  const { diagnostics } = await server.diagnostics(uri, undefined, (list) => list.some((d) => d.code === code));
  return diagnostics.filter((d) => d.code === code);
}

test('an occurrence left O where the corpus annotates it: located, counted, related to train, fixed one by one or all at once', TIMEOUT, async () => {
  const { dir, uri } = corpusFolder();
  const server = await startServer({ configuration: NO_MODEL, workspaceFolders: [pathToFileURL(dir).href] });
  const dev = uri('dev.conll');
  const found = corpusDiagnostics(server, dev, 'unannotated-occurrence');
  server.open(dev, DEV);
  const unannotated = await found;
  assert.deepEqual(unannotated.map((d) => d.range.start.line), [2, 12]);
  assert.match(unannotated[0].message, /'aspirin' is annotated Chemical 8×; O here and 1× elsewhere/);
  const related = unannotated[0].relatedInformation ?? [];
  assert.ok(related.length > 0 && related.every((r) => r.location.uri === uri('train.conll')), JSON.stringify(related));
  assert.equal(related[0].location.range.start.line, 0);

  const actions = (await server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri: dev },
    range: unannotated[0].range,
    context: { diagnostics: [unannotated[0]], only: ['quickfix'] },
  })) as CodeAction[];
  const single = actions.find((a) => a.title === 'Annotate as Chemical (as 8× elsewhere)');
  assert.deepEqual(single?.edit?.changes?.[dev].map((e) => [e.range.start.line, e.newText]), [[2, 'B-Chemical']]);
  const bulk = actions.find((a) => a.title === "Annotate all 2 unannotated occurrences of 'aspirin' as Chemical");
  const edit = bulk?.edit as WorkspaceEdit;
  assert.ok(edit?.changeAnnotations && Object.values(edit.changeAnnotations).every((a) => a.needsConfirmation), 'the bulk edit asks for review');
  const changes = edit.documentChanges as { textDocument: { uri: string }; edits: { range: { start: { line: number } }; newText: string }[] }[];
  assert.deepEqual(changes.flatMap((c) => c.edits.map((e) => [c.textDocument.uri, e.range.start.line, e.newText])), [
    [dev, 2, 'B-Chemical'],
    [dev, 12, 'B-Chemical'],
  ]);
  await server.stop();
});

test('a type conflict with the train split, and references, type renames and symbols across the corpus', TIMEOUT, async () => {
  const { dir, uri } = corpusFolder();
  const server = await startServer({ configuration: NO_MODEL, workspaceFolders: [pathToFileURL(dir).href] });
  const dev = uri('dev.conll');
  const train = uri('train.conll');
  const found = corpusDiagnostics(server, dev, 'type-conflict');
  server.open(dev, DEV);
  const [conflict] = await found;
  assert.equal(conflict.range.start.line, 7);
  assert.match(conflict.message, /'cisplatin' is annotated Chemical 4×, Disease 1×; Disease here/);

  const references = (await server.connection.sendRequest('textDocument/references', {
    textDocument: { uri: dev },
    position: { line: 7, character: 1 },
    context: { includeDeclaration: true },
  })) as Location[];
  assert.deepEqual(references.map((r) => [path.basename(r.uri), r.range.start.line]).sort(), [
    ['dev.conll', 7],
    ['train.conll', 40],
    ['train.conll', 45],
    ['train.conll', 50],
    ['train.conll', 55],
  ]);

  const prepared = (await server.connection.sendRequest('textDocument/prepareRename', { textDocument: { uri: dev }, position: { line: 7, character: 14 } })) as {
    placeholder: string;
  };
  assert.equal(prepared.placeholder, 'Disease');
  const rename = (await server.connection.sendRequest('textDocument/rename', {
    textDocument: { uri: dev },
    position: { line: 2, character: 14 },
    newName: 'Drug',
  })) as WorkspaceEdit | null;
  assert.equal(rename, null, 'an O tag has no type to rename');
  const renamed = (await server.connection.sendRequest('textDocument/rename', {
    textDocument: { uri: dev },
    position: { line: 7, character: 14 },
    newName: 'Disorder',
  })) as WorkspaceEdit;
  assert.deepEqual(Object.keys(renamed.changes ?? {}), [dev], 'one file: a plain edit, no review');
  const devText = applyTextEdits(DEV, renamed.changes![dev]);
  assert.match(devText, /cisplatin\tB-Disorder/);

  const symbols = (await server.connection.sendRequest('workspace/symbol', { query: 'aspir' })) as SymbolInformation[];
  assert.equal(symbols.length, 8);
  assert.ok(symbols.every((s) => s.name === 'Aspirin' && s.location.uri === train && s.containerName?.startsWith('Chemical')));
  assert.equal(readFileSync(path.join(dir, 'dev.conll'), 'utf8'), DEV + '\n', 'nothing was written to disk');
  await server.stop();
});

/** An edit that changes what the corpus sees: a tag retyped or dropped, a sentence split, a line gone; else any edit. */
function corpusEdit(rng: Random, doc: FuzzDocument): RangeEdit {
  const line = rng.int(doc.lineCount);
  const text = doc.text.slice(doc.offsetAt({ line, character: 0 }), doc.offsetAt({ line, character: doc.lineLength(line) }));
  const tab = text.lastIndexOf('\t') + 1;
  const at = (character: number) => ({ line, character });
  if (tab === 0 || rng.chance(0.1)) return randomEdit(rng, doc);
  switch (rng.int(4)) {
    case 0:
      return { range: { start: at(tab), end: at(text.length) }, text: rng.pick(['O', 'B-Chemical', 'B-Disease', 'I-Disease']) };
    case 1:
      return { range: { start: at(0), end: at(0) }, text: '\n' };
    case 2:
      return { range: { start: at(0), end: { line: line + 1, character: 0 } }, text: '' };
    default:
      return { range: { start: at(0), end: at(0) }, text: `${text}\n` };
  }
}

/** Diagnostics of `uri` once the corpus findings came: the first publication after the file's own that `accept` takes. */
function settled(server: ServerSession, uri: string, version: number, accept: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`diagnostics of version ${version} never settled`)), 30_000)));
  return Promise.race([server.diagnostics(uri, version, accept).then((p) => p.diagnostics), timeout]).finally(() => clearTimeout(timer));
}

test('after 60 seeded edits sent sentence by sentence to the index, the corpus diagnostics equal a fresh open of the text', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-corpus-edits-'));
  const uri = pathToFileURL(path.join(dir, 'notes.conll')).href;
  const excerpt = readFileSync(EXCERPTS[0], 'utf8');
  const doc = new FuzzDocument(`${excerpt}\n${excerpt}`);
  const corpusCodes = new Set(['type-conflict', 'unannotated-occurrence', 'boundary-variation', 'duplicate-sentence']);
  const hasCorpus = (list: Diagnostic[]) => list.some((d) => corpusCodes.has(String(d.code)));

  const initial = doc.text;
  const rng = new Random(20261201);
  const edits = Array.from({ length: 60 }, () => {
    const edit = corpusEdit(rng, doc);
    doc.apply(edit);
    return edit;
  });
  // The same text opened fresh, once its corpus findings came.
  const reference = await startServer({ configuration: NO_MODEL, workspaceFolders: [pathToFileURL(dir).href] });
  const freshly = settled(reference, uri, 1, hasCorpus);
  reference.open(uri, doc.text);
  const expected = JSON.stringify(await freshly);
  await reference.stop();

  const server = await startServer({ configuration: NO_MODEL, workspaceFolders: [pathToFileURL(dir).href] });
  const opened = settled(server, uri, 1, hasCorpus);
  server.open(uri, initial);
  await opened;
  const last: Diagnostic[][] = [];
  const final = settled(server, uri, edits.length + 1, (list) => last.push(list) > 0 && JSON.stringify(list) === expected);
  edits.forEach((edit, i) => server.edit(uri, i + 2, edit.range, edit.text));
  await final.catch((error: Error) => assert.deepEqual(last[last.length - 1], JSON.parse(expected), error.message));
  await server.stop();
});

test('with a model, an unannotated occurrence says what the model sees there, and keeps its severity either way', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-corpus-model-'));
  const train = (word: string, tag: string) =>
    DRUGS.map((symptom) => sentence(['Many', 'O'], [word, tag], ['had', 'O'], [symptom, 'O'], ['.', 'O'])).join('\n\n');
  // Gold says "patients" is a Disease here (a planted guideline slip); the model knows better. "cancer" it agrees with.
  writeFileSync(path.join(dir, 'train.conll'), `${train('patients', 'B-Disease')}\n\n${train('cancer', 'B-Disease')}\n`);
  const dev = pathToFileURL(path.join(dir, 'dev.conll')).href;
  const text = [
    sentence(['Ten', 'O'], ['patients', 'O'], ['were', 'O'], ['treated', 'O'], ['.', 'O']),
    sentence(['Her', 'O'], ['breast', 'O'], ['cancer', 'O'], ['recurred', 'O'], ['.', 'O']),
  ].join('\n\n');
  writeFileSync(path.join(dir, 'dev.conll'), text + '\n');
  const server = await startServer({ configuration: { modelPath: TEST_MODEL, workers: 1 }, workspaceFolders: [pathToFileURL(dir).href] });
  const weighed = server.diagnostics(dev, 1, (list) => list.filter((d) => /the model sees/.test(d.message)).length === 2);
  server.open(dev, text);
  const flagged = (await weighed).diagnostics.filter((d) => d.code === 'unannotated-occurrence');
  const byLine = new Map(flagged.map((d) => [d.range.start.line, d]));
  assert.match(byLine.get(1)!.message, /the model sees no entity here \(O \d+(\.\d)?%\)$/);
  assert.equal(byLine.get(1)!.severity, 3, 'a sure model does not hide the flag');
  assert.match(byLine.get(8)!.message, /the model sees Disease here/);
  assert.equal(byLine.get(8)!.severity, 3, 'the model agrees: the flag keeps its severity');
  await server.stop();
});
