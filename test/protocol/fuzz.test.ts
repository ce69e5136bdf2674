/** Seeded fuzzing of the server through LSP incremental sync: random range edits, then ranges and diagnostics checked. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, Diagnostic, DocumentSymbol, FoldingRange, Hover, InlayHint, PublishDiagnosticsParams, SemanticTokens } from 'vscode-languageserver-protocol';
import { CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND } from '@common/protocol';
import { resolveSettings } from '@common/settings';
import { analyzeConll } from '../../server/src/core/conll/analysis';
import { FIX_ALL_KIND } from '../../server/src/features/codeActions';
import { toDiagnostics } from '../../server/src/features/diagnostics';
import { semanticTokens } from '../../server/src/features/semanticTokens';
import { documentSymbols, foldingRanges } from '../../server/src/features/structure';
import {
  assertFoldingInside,
  assertPositionInside,
  assertRangeInside,
  assertSymbolsInside,
  assertTokensInside,
  FuzzDocument,
  lineLengths,
  randomEdit,
  type Range,
} from '../support/fuzzDocument';
import { startServer, type ServerSession } from '../support/lspClient';
import { caseSeed, casesPerKind, fuzzConfig, INPUT_KINDS, Random, type InputKind } from '../support/random';

/**
 * One inference session, not two: the model's passes leave a core for the checks on a two-core machine. No corpus
 * index: the file's own diagnostics are compared with a fresh check (test/protocol/corpus.test.ts fuzzes the index).
 */
const CONFIGURATION = { workers: 1, corpus: { enabled: false } };
const SETTINGS = resolveSettings(CONFIGURATION);
/** A reply slower than this means the server hangs (the first model load included). */
const REPLY_LIMIT_MS = 60_000;
const LANGUAGES = ['bio', 'bio', 'bio', 'bio', 'markdown', 'plaintext'];
/** Megabyte inputs cost seconds per edit through the server; the in-process fuzzer covers them. */
const KINDS = INPUT_KINDS.filter((k) => !k.large);

const { cases, seed } = fuzzConfig(30);
const plan = casesPerKind(KINDS, cases);
const total = plan.reduce((n, [, count]) => n + count, 0);

let server: ServerSession;
let exited: Promise<never>;
before(async () => {
  server = await startServer({ configuration: CONFIGURATION });
  exited = new Promise((_, reject) => server.process.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal})`))));
  exited.catch(() => undefined);
});
after(async () => {
  if (server.process.exitCode === null) await server.stop();
});

/** Fails instead of hanging: a reply must come in time, and the server must not exit meanwhile. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${REPLY_LIMIT_MS} ms`)), REPLY_LIMIT_MS)));
  return Promise.race([promise, late, exited]).finally(() => clearTimeout(timer));
}

const request = <R>(method: string, params: object) => within(server.connection.sendRequest<R>(method, params), method);

/** Every publish for a URI, in arrival order (the client resolves one waiter per publish, so it re-arms). */
function recordPublishes(uri: string): PublishDiagnosticsParams[] {
  const seen: PublishDiagnosticsParams[] = [];
  const arm = () =>
    void server.diagnostics(uri).then((params) => {
      seen.push(params);
      if (params.version !== undefined) arm();
    });
  arm();
  return seen;
}

const withoutModel = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.code !== 'model-disagreement');
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Requests whose results must lie inside the document as the model has it now; null (a stale pass) is allowed. */
async function checkInside(uri: string, doc: FuzzDocument, language: string, rng: Random, what: string): Promise<void> {
  const lengths = lineLengths(doc.text);
  const tokens = await request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
  assertTokensInside(lengths, tokens.data, `${what}: semantic token`);
  for (let i = 0; i < 3; i++) {
    const line = rng.int(lengths.length);
    const hover = await request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: rng.int(lengths[line] + 2) } });
    if (hover?.range) assertRangeInside(lengths, hover.range, `${what}: hover`);
  }
  if (language !== 'bio') return;
  const folding = await request<FoldingRange[] | null>('textDocument/foldingRange', { textDocument: { uri } });
  assertFoldingInside(lengths, folding ?? [], `${what}: folding range`);
  const symbols = await request<DocumentSymbol[] | null>('textDocument/documentSymbol', { textDocument: { uri } });
  assertSymbolsInside(lengths, symbols ?? [], `${what}: document symbol`);
  const whole: Range = { start: { line: 0, character: 0 }, end: { line: lengths.length - 1, character: lengths[lengths.length - 1] } };
  const hints = await request<InlayHint[] | null>('textDocument/inlayHint', { textDocument: { uri }, range: whole });
  for (const hint of hints ?? []) assertPositionInside(lengths, hint.position, `${what}: inlay hint`);
  const only = [FIX_ALL_KIND, CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND];
  const actions = await request<CodeAction[] | null>('textDocument/codeAction', { textDocument: { uri }, range: whole, context: { diagnostics: [], only } });
  for (const action of actions ?? []) for (const edit of action.edit?.changes?.[uri] ?? []) assertRangeInside(lengths, edit.range, `${what}: '${action.title}'`);
}

/** After the last edit, the server's view equals a fresh check of the text the edits made. */
async function checkFinal(uri: string, doc: FuzzDocument, published: PublishDiagnosticsParams, publishes: PublishDiagnosticsParams[], version: number): Promise<void> {
  const fresh = await analyzeConll(doc.text, SETTINGS);
  const expected = json(toDiagnostics(uri, fresh.findings, SETTINGS));
  assert.deepEqual(withoutModel(published.diagnostics), expected, 'diagnostics of the last version differ from a fresh check of its text');
  const tokens = await request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
  assert.deepEqual(tokens.data, semanticTokens(fresh).data, 'semantic tokens differ from a fresh analysis');
  assert.deepEqual(await request('textDocument/foldingRange', { textDocument: { uri } }), json(foldingRanges(fresh)), 'folding ranges differ');
  assert.deepEqual(await request('textDocument/documentSymbol', { textDocument: { uri } }), json(documentSymbols(fresh)), 'document symbols differ');
  // Inlay hints wait for the model's pass over this version, whose diagnostics are published before the reply.
  await request('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: doc.lineCount, character: 0 } } });
  const versions = publishes.map((p) => p.version!);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'an older version was published after a newer one');
  const last = publishes[publishes.length - 1];
  assert.equal(last.version, version, 'the last diagnostics published are not those of the last version');
  assert.deepEqual(withoutModel(last.diagnostics), expected, 'the model pass published other gold diagnostics');
}

/**
 * The model's view after the edits equals its view of the same text opened fresh: per-sentence caches and reused
 * prose paragraphs must leave no stale prediction behind.
 */
async function checkAgainstFresh(uri: string, doc: FuzzDocument, language: string, publishes: PublishDiagnosticsParams[]): Promise<void> {
  const freshUri = uri.replace('/fuzz/', '/fresh/');
  const freshPublishes = recordPublishes(freshUri);
  server.open(freshUri, doc.text, language, 1);
  const tokens = (u: string) => request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: u } });
  assert.deepEqual((await tokens(uri)).data, (await tokens(freshUri)).data, 'semantic tokens differ from those of the same text opened fresh');
  if (language === 'bio') {
    await request('textDocument/inlayHint', { textDocument: { uri: freshUri }, range: { start: { line: 0, character: 0 }, end: { line: doc.lineCount, character: 0 } } });
    const last = (seen: PublishDiagnosticsParams[], u: string) => JSON.stringify(seen[seen.length - 1].diagnostics).split(JSON.stringify(u)).join('"URI"');
    assert.equal(last(publishes, uri), last(freshPublishes, freshUri), 'diagnostics with the model differ from those of the same text opened fresh');
  }
  void server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: freshUri } });
}

/** Runs one edit sequence; returns how many range changes it sent. */
async function runCase(kind: InputKind, index: number, languages: Map<string, number>): Promise<number> {
  const rng = new Random(caseSeed(seed, kind.name, index));
  const language = rng.pick(LANGUAGES);
  languages.set(language, (languages.get(language) ?? 0) + 1);
  const doc = new FuzzDocument(kind.make(rng).text);
  const uri = `file:///fuzz/${index}-${kind.name.replace(/\W+/g, '-')}.${language === 'bio' ? 'bio' : language === 'markdown' ? 'md' : 'txt'}`;
  const publishes = recordPublishes(uri);
  let version = 1;
  server.open(uri, doc.text, language, version);
  const edits = rng.small(40) + 1;
  let changed = 0;
  let final: Promise<PublishDiagnosticsParams> | undefined;
  for (let i = 0; i < edits; i++) {
    const changes = Array.from({ length: rng.chance(0.2) ? rng.between(2, 4) : 1 }, () => {
      const edit = randomEdit(rng, doc);
      doc.apply(edit);
      return edit;
    });
    changed += changes.length;
    version++;
    if (i === edits - 1 && language === 'bio') final = server.diagnostics(uri, version);
    if (changes.length === 1) server.edit(uri, version, changes[0].range, changes[0].text);
    else void server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    // Requests between edits are answered for the version they came after.
    if (rng.chance(0.1)) await checkInside(uri, doc, language, rng, `after edit ${i + 1}`);
  }
  await checkInside(uri, doc, language, rng, 'after the last edit');
  if (final) await checkFinal(uri, doc, await within(final, 'diagnostics of the last version'), publishes, version);
  await checkAgainstFresh(uri, doc, language, publishes);
  void server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  return changed;
}

test(`fuzz through LSP incremental sync: seed ${seed}, ${total} edit sequences`, { timeout: 120_000 + total * 20_000 }, async (t) => {
  const languages = new Map<string, number>();
  for (const [kind, count] of plan) {
    await t.test(`${kind.name}: ${count} edit sequences`, async () => {
      const started = Date.now();
      let changes = 0;
      for (let i = 0; i < count; i++) {
        try {
          changes += await runCase(kind, i, languages);
        } catch (error) {
          throw new Error(`case ${i} (BIONER_FUZZ_SEED=${seed}, case seed ${caseSeed(seed, kind.name, i)}): ${(error as Error).message}`, { cause: error });
        }
      }
      t.diagnostic(`${kind.name}: ${count} edit sequences, ${changes} range changes, in ${Date.now() - started} ms`);
    });
  }
  t.diagnostic(`languages: ${[...languages].map(([l, n]) => `${l} ${n}`).join(', ')}`);
  assert.equal(server.process.exitCode, null, 'the server is alive');
});
