/** Settings changed while the server runs (didChangeConfiguration), pulled and pushed, reach the open documents. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { MODEL_STATUS_NOTIFICATION, type ModelStatus } from '@common/protocol';
import { startServer, type ServerSession } from '../support/lspClient';
import { bio, TEST_MODEL } from '../support/fixtures';

const TIMEOUT = { timeout: 120_000 };
/** No model: these tests are about the checks, and a missing folder leaves them running alone. */
const NO_MODEL = { modelPath: '/nonexistent/bioner-model' };

const ERRORS = bio('Treatment O', 'with O', 'aspirin B-Chemical', '', 'High O', 'fever I-Disease', 'seen B_Disease', '. O');

/** Resolves with the first diagnostics published for `uri` from now on that `accept` takes. */
async function diagnosticsWhere(server: ServerSession, uri: string, accept: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
  for (;;) {
    const { diagnostics } = await server.diagnostics(uri);
    if (accept(diagnostics)) return diagnostics;
  }
}

const summary = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.severity}`).sort();

test('severities changed while a file is open apply to it at once, off included', TIMEOUT, async () => {
  const configuration: Record<string, unknown> = { ...NO_MODEL };
  const server = await startServer({ configuration });
  const uri = 'file:///settings/severity.bio';
  const first = server.diagnostics(uri);
  server.open(uri, ERRORS);
  assert.deepEqual(summary((await first).diagnostics), ['invalid-start@5:1', 'malformed-tag@6:1']);

  configuration.severity = { 'malformed-tag': 'hint' };
  const changed = diagnosticsWhere(server, uri, (d) => summary(d).includes('malformed-tag@6:4'));
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.deepEqual(summary(await changed), ['invalid-start@5:1', 'malformed-tag@6:4']);

  configuration.severity = { 'malformed-tag': 'off', 'invalid-start': 'warning' };
  const off = diagnosticsWhere(server, uri, (d) => d.length === 1);
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.deepEqual(summary(await off), ['invalid-start@5:2']);
  await server.stop();
});

test('a scheme and a tag column changed while a file is open re-check it with them', TIMEOUT, async () => {
  const configuration: Record<string, unknown> = { ...NO_MODEL };
  const server = await startServer({ configuration });
  const uri = 'file:///settings/columns.bio';
  // Three columns: word, chunk tag (IOBES-looking), entity tag (IOB2). Clean as read by default (last column).
  const text = ['Aspirin\tS-NP\tB-Chemical', 'helps\tS-VP\tO', 'patients\tB-NP\tO', 'with\tE-NP\tO', 'fever\tS-NP\tB-Disease', ''].join('\n');
  const first = server.diagnostics(uri);
  server.open(uri, text);
  assert.deepEqual((await first).diagnostics, []);

  configuration.tagColumn = 1;
  configuration.scheme = 'IOB2';
  const byChunkColumn = diagnosticsWhere(server, uri, (d) => d.length > 0);
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  // The chunk column read as IOB2 tags: S-/E- belong to another scheme.
  assert.ok((await byChunkColumn).every((d) => d.code === 'mixed-scheme'));

  configuration.scheme = 'auto';
  const detected = diagnosticsWhere(server, uri, (d) => d.length === 0);
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  // Detected as the IOBES it is.
  assert.deepEqual(await detected, []);

  configuration.tagColumn = -1;
  configuration.scheme = 'IOBES';
  const entitiesAsIobes = diagnosticsWhere(server, uri, (d) => d.length > 0);
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  // B-Chemical alone is an unclosed entity in IOBES.
  assert.ok((await entitiesAsIobes).some((d) => d.code === 'unclosed-entity' && d.range.start.line === 0));
  await server.stop();
});

test('a client without workspace/configuration can push settings in didChangeConfiguration', TIMEOUT, async () => {
  const server = await startServer({ minimal: true });
  const uri = 'file:///settings/pushed.bio';
  const first = server.diagnostics(uri);
  server.open(uri, ERRORS);
  assert.deepEqual(summary((await first).diagnostics), ['invalid-start@5:1', 'malformed-tag@6:1']);
  const pushed = diagnosticsWhere(server, uri, (d) => d.length === 1);
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { bioner: { ...NO_MODEL, severity: { 'invalid-start': 'off' } } } });
  assert.deepEqual(summary(await pushed), ['malformed-tag@6:1']);
  assert.deepEqual(server.requests(), []);
  await server.stop();
});

test('the model path changed while the first model is still loading: the second one is used', TIMEOUT, async () => {
  const configuration: Record<string, unknown> = {};
  const server = await startServer({ configuration });
  const uri = 'file:///settings/model.bio';
  const loading = server.nextNotification<ModelStatus>(MODEL_STATUS_NOTIFICATION.method, (s) => s.state === 'loading');
  server.open(uri, ERRORS);
  assert.equal((await loading).model, 'default');

  const ready = server.nextNotification<ModelStatus>(MODEL_STATUS_NOTIFICATION.method, (s) => s.state === 'ready');
  configuration.modelPath = TEST_MODEL;
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.equal((await ready).model, 'model');
  const hover: Hover | null = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 1 } });
  assert.match((hover?.contents as { value: string }).value, /\*\*Model\*\*/);
  // The default model's load, overtaken, never reports ready afterwards (ready comes again with each speed update).
  const statuses = server.notifications(MODEL_STATUS_NOTIFICATION.method) as ModelStatus[];
  assert.deepEqual([...new Set(statuses.filter((s) => s.state === 'ready').map((s) => s.model))], ['model']);
  await server.stop();
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});

test('bioner.entityTypes changed while a Markdown file is open: its entities follow, and an unknown type is shown in the status', TIMEOUT, async () => {
  const configuration: Record<string, unknown> = {};
  const server = await startServer({ configuration });
  const uri = 'file:///settings/note.md';
  server.open(uri, 'The patient was given cisplatin.\n', 'markdown');
  const hoverText = async (character: number) => {
    const hover: Hover | null = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character } });
    return hover ? (hover.contents as { value: string }).value : '';
  };
  assert.match(await hoverText(24), /Chemical/);
  assert.equal(await hoverText(6), '', 'no Species on "patient" by default');

  configuration.entityTypes = ['*'];
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.match(await hoverText(6), /Species/);

  const warned = server.nextNotification<ModelStatus>(MODEL_STATUS_NOTIFICATION.method, (s) => /Drug/.test(s.message ?? ''));
  configuration.entityTypes = ['Chemical', 'Drug'];
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.match((await warned).message!, /bioner\.entityTypes names 'Drug', which this model does not predict; it predicts Chemical, Disease/);
  assert.equal(await hoverText(6), '');
  assert.match(await hoverText(24), /Chemical/);
  await server.stop();
});
