/** The language server over stdio, spoken to as an editor does. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, Diagnostic, DocumentSymbol, FoldingRange, Hover, SemanticTokens } from 'vscode-languageserver-protocol';
import { SEMANTIC_TOKEN_TYPES } from '@common/semanticTokens';
import { FILE_TOO_LARGE_NOTIFICATION } from '@common/protocol';
import { applyTextEdits, decodeSemanticTokens, startServer, type ServerSession } from '../support/lspClient';
import { bio } from '../support/fixtures';

let server: ServerSession;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const ERRORS = bio('Treatment O', 'with O', 'aspirin B-Chemical', 'sodium I-Chemical', 'reduced O', 'hypertension B-Disease', '. O', '', 'High O', 'fever I-Disease', 'was O', 'seen B_Disease', '. O');

async function openAndWait(uri: string, text: string): Promise<Diagnostic[]> {
  const published = server.diagnostics(uri);
  server.open(uri, text);
  return (await published).diagnostics;
}

test('diagnostics carry source, stable code, precise range and severity', async () => {
  const diagnostics = await openAndWait('file:///errors.bio', ERRORS);
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.source]),
    [
      ['invalid-start', 9, 6, 15, 1, 'bioner'],
      ['malformed-tag', 11, 5, 14, 1, 'bioner'],
    ],
  );
});

test('a quick fix from a diagnostic, applied to the text, clears the diagnostic', async () => {
  const uri = 'file:///fix.bio';
  const [diagnostic] = await openAndWait(uri, ERRORS);
  const actions: CodeAction[] = await server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic] },
  });
  const fix = actions.find((a) => a.title === 'Change to B-Disease')!;
  assert.equal(fix.kind, 'quickfix');
  assert.equal(fix.isPreferred, true);
  const fixed = applyTextEdits(ERRORS, fix.edit!.changes![uri]);
  assert.match(fixed, /^fever\tB-Disease$/m);
  const next = server.diagnostics(uri, 2);
  server.change(uri, 2, fixed);
  assert.deepEqual((await next).diagnostics.map((d) => d.code), ['malformed-tag']);
});

test('source actions: fix all, and convert the whole file to IOBES', async () => {
  const uri = 'file:///source.bio';
  await openAndWait(uri, ERRORS);
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const fixAll: CodeAction[] = await server.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [], only: ['source.fixAll'] } });
  assert.equal(fixAll.length, 1);
  const fixed = applyTextEdits(ERRORS, fixAll[0].edit!.changes![uri]);
  assert.match(fixed, /^fever\tB-Disease\nwas\tO\nseen\tB-Disease$/m);
  const convert: CodeAction[] = await server.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [], only: ['source.convert.bioner.iobes'] } });
  assert.equal(convert.length, 1);
  const iobes = applyTextEdits(ERRORS, convert[0].edit!.changes![uri]);
  assert.match(iobes, /aspirin\tB-Chemical\nsodium\tE-Chemical\nreduced\tO\nhypertension\tS-Disease/);
});

test('semantic tokens colour entity tokens by type and style the tag column, in full and by range', async () => {
  const uri = 'file:///tokens.bio';
  await openAndWait(uri, ERRORS);
  const full: SemanticTokens = await server.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } });
  const tokens = decodeSemanticTokens(full.data, [...SEMANTIC_TOKEN_TYPES]);
  const at = (line: number) => tokens.filter((t) => t.line === line).map((t) => [t.type, t.start, t.length, t.modifiers]);
  assert.deepEqual(at(2), [
    ['bioChemical', 0, 7, 1],
    ['bioTag', 8, 10, 0],
  ]);
  assert.deepEqual(at(3), [
    ['bioChemical', 0, 6, 0],
    ['bioTag', 7, 10, 0],
  ]);
  assert.deepEqual(at(5), [
    ['bioDisease', 0, 12, 1],
    ['bioTag', 13, 9, 0],
  ]);
  assert.deepEqual(at(0), [['bioOutside', 10, 1, 0]]);
  // The malformed tag gets no tag colour; its token is outside any entity.
  assert.deepEqual(at(11), []);
  const ranged: SemanticTokens = await server.connection.sendRequest('textDocument/semanticTokens/range', {
    textDocument: { uri },
    range: { start: { line: 5, character: 0 }, end: { line: 6, character: 0 } },
  });
  const rangedLines = new Set(decodeSemanticTokens(ranged.data, [...SEMANTIC_TOKEN_TYPES]).map((t) => t.line));
  assert.deepEqual([...rangedLines], [5, 6]);
});

test('hover shows the whole entity, its type and the tag sequence with the token position', async () => {
  const uri = 'file:///hover.bio';
  await openAndWait(uri, ERRORS);
  const hover: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: 2 } });
  const value = (hover.contents as { value: string }).value;
  assert.match(value, /\*\*Chemical\*\* entity: `aspirin sodium`/);
  assert.match(value, /B-Chemical \*\*I-Chemical\*\*/);
  assert.match(value, /token 2 of 2/);
});

test('folding per sentence and per document; outline of documents and sentences with entity counts', async () => {
  const uri = 'file:///outline.bio';
  const text = '-DOCSTART-\tO\n\n' + ERRORS + '\n-DOCSTART-\tO\n\n' + bio('Naloxone B-Chemical', 'works O');
  await openAndWait(uri, text);
  const folding: FoldingRange[] = await server.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } });
  assert.deepEqual(
    folding.map((f) => [f.startLine, f.endLine]),
    [
      [0, 14],
      [16, 19],
      [2, 8],
      [10, 14],
      [18, 19],
    ],
  );
  const symbols: DocumentSymbol[] = await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
  assert.deepEqual(
    symbols.map((s) => [s.name, s.detail, s.children!.map((c) => c.detail)]),
    [
      ['Document 1', '2 sentences, 3 entities (1 Chemical, 2 Disease)', ['2 entities (1 Chemical, 1 Disease)', '1 entity (1 Disease)']],
      ['Document 2', '1 sentences, 1 entity (1 Chemical)', ['1 entity (1 Chemical)']],
    ],
  );
  assert.match(symbols[0].children![0].name, /^Sentence 1: Treatment with aspirin sodium reduced hypertension \.$/);
});

test('files over bioner.maxFileSizeMB get a notice instead of a check', async () => {
  const small = await startServer({ configuration: { maxFileSizeMB: 0.001 } });
  try {
    const uri = 'file:///big.bio';
    const published = small.diagnostics(uri);
    small.open(uri, ERRORS.repeat(20));
    assert.deepEqual((await published).diagnostics, []);
    assert.equal(small.notifications(FILE_TOO_LARGE_NOTIFICATION.method).length, 1);
  } finally {
    await small.stop();
  }
});

test('settings change severities and the tag column', async () => {
  const configured = await startServer({ configuration: { severity: { 'malformed-tag': 'off', 'invalid-start': 'hint' }, tagColumn: 1 } });
  try {
    const uri = 'file:///configured.bio';
    const published = configured.diagnostics(uri);
    configured.open(uri, ERRORS);
    const diagnostics = (await published).diagnostics;
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity]), [['invalid-start', 4]]);
    const threeColumns = 'a\tB-X\tO\nb\tI-X\tO\n';
    const next = configured.diagnostics('file:///cols.bio');
    configured.open('file:///cols.bio', threeColumns);
    assert.deepEqual((await next).diagnostics, []);
  } finally {
    await configured.stop();
  }
});

test('a large document is analysed without blocking requests on other documents', async () => {
  const big = 'file:///large.bio';
  const bigText = ERRORS.repeat(60000);
  const bigDone = server.diagnostics(big).then(() => 'large diagnostics');
  server.open(big, bigText);
  await openAndWait('file:///small.bio', ERRORS);
  const hovered = server.connection
    .sendRequest('textDocument/hover', { textDocument: { uri: 'file:///small.bio' }, position: { line: 2, character: 1 } })
    .then(() => 'hover on small');
  assert.equal(await Promise.race([bigDone, hovered]), 'hover on small');
  assert.equal(await bigDone, 'large diagnostics');
});

test('garbage input never crashes the server', async () => {
  const uri = 'file:///garbage.bio';
  const garbage = '\u0000\u0001\uFFFF\uD800 broken\n\t\t\t\n' + 'x'.repeat(200000) + '\n-DOCSTART-\n\n\n#\n';
  const diagnostics = await openAndWait(uri, garbage);
  assert.ok(diagnostics.length > 0);
  const hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 5 } });
  assert.ok(hover === null || typeof hover === 'object');
  assert.equal(server.process.exitCode, null);
});
