/** Abbreviation types through the server with the default model: the hover says where a type came from. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hover } from 'vscode-languageserver-protocol';
import { startServer } from '../support/lspClient';

const TIMEOUT = { timeout: 120_000 };
// The model alone finds the long form but leaves the later short form O.
const NOTE = 'The patient developed thrombotic thrombocytopenic purpura (TTP) after treatment.\n\nLater the TTP resolved.\n';

test('a short form defined in a Markdown note takes its long form\'s type, and the hover names the definition', TIMEOUT, async () => {
  const configuration: Record<string, unknown> = {};
  const server = await startServer({ configuration });
  const uri = 'file:///abbreviations/note.md';
  server.open(uri, NOTE, 'markdown');
  const hoverAt = async (line: number, character: number) => {
    const hover: Hover | null = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });
    return hover ? (hover.contents as { value: string }).value : '';
  };
  assert.match(await hoverAt(0, 30), /\*\*Disease\*\*.*thrombotic thrombocytopenic purpura/);
  const later = await hoverAt(2, 11);
  assert.match(later, /\*\*Disease\*\* \(predicted\): `TTP`/);
  assert.match(later, /Type from the abbreviation `TTP` = `thrombotic thrombocytopenic purpura`, defined on line 1/);

  configuration.abbreviations = false;
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  assert.equal(await hoverAt(2, 11), '', 'the model alone leaves the later TTP O');
  await server.stop();
});
