/** The server through what editors other than VS Code do: no optional capability, rejected requests, shutdown and model switches mid-pass. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Hover } from 'vscode-languageserver-protocol';
import { MODEL_STATUS_NOTIFICATION, RELOAD_MODEL_REQUEST, type ModelStatus } from '@common/protocol';
import { startServer, type ServerSession } from '../support/lspClient';
import { bio, EXCERPTS, TEST_MODEL } from '../support/fixtures';

const TIMEOUT = { timeout: 120_000 };

const ERRORS = bio('Treatment O', 'with O', 'aspirin B-Chemical', 'reduced O', '', 'High O', 'fever I-Disease', 'was O', 'seen B_Disease', '. O');
const MARKDOWN = '# Note\n\nThe patient received aspirin for hypertension and developed renal failure.\n';

/** Real BIO sentences, `times` × 72 kB: a model pass over them takes seconds and reports progress. */
const largeBio = (times: number) => readFileSync(EXCERPTS[0], 'utf8').repeat(times);

const hoverAt = (server: ServerSession, uri: string, line: number, character: number): Promise<Hover | null> =>
  server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });

const alive = (server: ServerSession) => server.process.exitCode === null && server.process.signalCode === null;

/** Opens the large file and resolves once its model pass has begun reporting progress (so is well under way). */
async function openDuringPass(server: ServerSession, uri: string): Promise<void> {
  const begun = server.nextNotification<{ value: { kind: string } }>('$/progress', (p) => p.value.kind === 'begin');
  server.open(uri, largeBio(8));
  await begun;
}

async function stopCleanly(server: ServerSession): Promise<void> {
  await server.stop();
  assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
  assert.doesNotMatch(server.stderr(), /terminate called|unhandled|uncaught/i);
}

test('a client that declares no optional capability gets no request from the server, and all features still answer', TIMEOUT, async () => {
  const server = await startServer({ minimal: true });
  const bioUri = 'file:///minimal/errors.bio';
  const firstDiagnostics = server.diagnostics(bioUri);
  server.open(bioUri, ERRORS);
  assert.deepEqual((await firstDiagnostics).diagnostics.map((d) => d.code), ['invalid-start', 'malformed-tag']);
  // The model's pass over the BIO file publishes again; that is when a refresh would be sent.
  await server.diagnostics(bioUri);

  const markdownUri = 'file:///minimal/note.md';
  server.open(markdownUri, MARKDOWN, 'markdown');
  const hover = await hoverAt(server, markdownUri, 2, 'The patient received asp'.length);
  assert.match((hover?.contents as { value: string }).value, /Chemical/);
  assert.match(((await hoverAt(server, bioUri, 6, 2))?.contents as { value: string }).value, /fever/);

  const initialize = server.notifications(MODEL_STATUS_NOTIFICATION.method) as ModelStatus[];
  assert.equal(initialize.at(-1)?.state, 'ready');
  assert.deepEqual(server.requests(), [], 'the server sent requests the client never declared');
  assert.ok(alive(server));
  await stopCleanly(server);
});

test('a client that declares refreshes and progress but rejects every request leaves the server running', TIMEOUT, async () => {
  const server = await startServer({ rejectRequests: true, configuration: {} });
  const markdownUri = 'file:///rejecting/note.md';
  server.open(markdownUri, MARKDOWN, 'markdown');
  assert.ok(await hoverAt(server, markdownUri, 2, 'The patient received asp'.length));
  const bioUri = 'file:///rejecting/large.bio';
  const gold = server.diagnostics(bioUri);
  server.open(bioUri, largeBio(3));
  await gold;
  // Published again after the model pass, long enough to have asked for a progress report; the inlay hint refresh
  // follows the publication, and a round trip makes sure it has arrived.
  await server.diagnostics(bioUri);
  assert.ok(await hoverAt(server, bioUri, 0, 1));
  for (const method of ['workspace/configuration', 'workspace/semanticTokens/refresh', 'workspace/inlayHint/refresh', 'window/workDoneProgress/create']) {
    assert.ok(server.requests().includes(method), `${method} not among ${server.requests().join(', ')}`);
  }
  assert.ok(alive(server));
  await stopCleanly(server);
});

test('shutdown in the middle of a model pass is answered within a second, and exit ends the process with code 0', TIMEOUT, async () => {
  const server = await startServer({ configuration: {} });
  await openDuringPass(server, 'file:///shutdown/large.bio');
  const started = performance.now();
  await server.connection.sendRequest('shutdown');
  const answeredMs = performance.now() - started;
  assert.ok(answeredMs < 1000, `shutdown answered after ${Math.round(answeredMs)} ms`);
  await server.connection.sendNotification('exit');
  assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
  assert.doesNotMatch(server.stderr(), /terminate called/);
});

test('SIGTERM in the middle of a model pass ends the server with code 143, its cut graphs removed', TIMEOUT, async () => {
  const server = await startServer({ configuration: {} });
  await openDuringPass(server, 'file:///sigterm/large.bio');
  const cutGraphs = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`bioner-graphs-${server.process.pid}-`));
  assert.equal(cutGraphs().length, 1, 'the default model runs on graphs cut to its heads');
  server.process.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 143, signal: null }, server.stderr());
  assert.deepEqual(cutGraphs(), []);
  assert.doesNotMatch(server.stderr(), /terminate called/);
});

test('switching the model and reloading it in the middle of a pass is safe: the new model answers', TIMEOUT, async () => {
  const configuration: Record<string, unknown> = {};
  const server = await startServer({ configuration });
  const uri = 'file:///switch/large.bio';
  await openDuringPass(server, uri);

  const switched = server.nextNotification<ModelStatus>(MODEL_STATUS_NOTIFICATION.method, (s) => s.state === 'ready' && s.model === 'model');
  configuration.modelPath = TEST_MODEL;
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  await switched;
  // The new model's pass over the same file is running now: reload it under that pass.
  const reloaded = server.nextNotification<ModelStatus>(MODEL_STATUS_NOTIFICATION.method, (s) => s.state === 'ready' && s.model === 'model');
  await server.connection.sendRequest(RELOAD_MODEL_REQUEST.method);
  await reloaded;

  const hover = await hoverAt(server, uri, 0, 1);
  assert.match((hover?.contents as { value: string }).value, /\*\*Model\*\*: `[BIO]/);
  assert.ok(alive(server));
  await stopCleanly(server);
});
