/** Model features over LSP, with the small real model the repository ships. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Diagnostic, Hover, InlayHint, SemanticTokens, CodeAction } from 'vscode-languageserver-protocol';
import { MODEL_STATUS_NOTIFICATION, type ModelStatus } from '@common/protocol';
import { SEMANTIC_TOKEN_TYPES } from '@common/semanticTokens';
import { applyTextEdits, decodeSemanticTokens, startServer, type ServerSession } from '../support/lspClient';
import { bio, DEFAULT_MODEL, TEST_MODEL } from '../support/fixtures';

let server: ServerSession;
before(async () => {
  server = await startServer({ configuration: { modelPath: TEST_MODEL, threads: 1, disagreementThreshold: 0.5 } });
});
after(async () => {
  await server.stop();
});

/** Opens a document and resolves with the first diagnostics that include a model disagreement. */
function openUntilDisagreement(session: ServerSession, uri: string, text: string): Promise<Diagnostic[]> {
  return new Promise((resolve) => {
    const wait = () =>
      session.diagnostics(uri).then((p) => {
        if (p.diagnostics.some((d) => d.code === 'model-disagreement')) resolve(p.diagnostics);
        else void wait();
      });
    void wait();
    session.open(uri, text);
  });
}

const MARKDOWN = [
  '---',
  'title: Breast cancer and Duchenne muscular dystrophy',
  '---',
  '# Case notes',
  '',
  'Patients with Duchenne muscular dystrophy and breast cancer were studied (see https://example.org/breast-cancer/muscular-dystrophy).',
  '',
  '```',
  'breast cancer muscular dystrophy',
  '```',
  '',
  'Inline `breast cancer` code and <span title="muscular dystrophy">tags</span>.',
  '',
].join('\n');

type Token = ReturnType<typeof decodeSemanticTokens>[number];

async function tokensOf(uri: string): Promise<Token[]> {
  const result: SemanticTokens = await server.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } });
  return decodeSemanticTokens(result.data, [...SEMANTIC_TOKEN_TYPES]);
}

test('the status notification says which model runs on which device', async () => {
  server.open('file:///status.md', 'Breast cancer.\n', 'markdown');
  await tokensOf('file:///status.md');
  const statuses = server.notifications(MODEL_STATUS_NOTIFICATION.method) as ModelStatus[];
  const ready = statuses.find((s) => s.state === 'ready');
  assert.ok(ready, `no ready status in ${JSON.stringify(statuses)}`);
  assert.equal(ready.model, path.basename(TEST_MODEL));
  assert.equal(ready.device, 'cpu');
});

test('Markdown: entities in prose get predicted tokens; front matter, code, URLs and HTML never do', async () => {
  const uri = 'file:///notes.md';
  server.open(uri, MARKDOWN, 'markdown');
  const tokens = await tokensOf(uri);
  const lines = MARKDOWN.split('\n');
  const text = (t: Token) => lines[t.line].slice(t.start, t.start + t.length);
  const prose = tokens.filter((t) => t.line === 5 && t.start < lines[5].indexOf('(see'));
  assert.ok(prose.some((t) => /dystrophy|cancer/.test(text(t))), `no entity predicted in the prose line: ${JSON.stringify(tokens.map(text))}`);
  const predicted = 1 << 1;
  assert.ok(prose.every((t) => t.type === 'bioDisease' && (t.modifiers & predicted) !== 0));
  const forbidden = tokens.filter((t) => t.line <= 2 || (t.line >= 7 && t.line <= 9) || t.line === 11 || (t.line === 5 && t.start >= lines[5].indexOf('(see')));
  assert.deepEqual(forbidden.map((t) => [t.line, text(t)]), []);
});

test('hover on a predicted entity gives its type, confidence and the labels by probability', async () => {
  const uri = 'file:///hover.txt';
  const text = 'Patients with Duchenne muscular dystrophy and breast cancer were studied.\n';
  server.open(uri, text, 'plaintext');
  const tokens = await tokensOf(uri);
  assert.ok(tokens.length > 0);
  const hover: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: tokens[0].start + 1 } });
  const value = (hover.contents as { value: string }).value;
  assert.match(value, /\*\*Disease\*\* \(predicted\)/);
  assert.match(value, /Confidence \d+\.\d%/);
  assert.match(value, /Labels by probability:\n- `\w+`: [BI]-Disease \d+\.\d%/);
});

test('BIO files: the model disagrees with wrong gold tags, and its fix applies the model tags', async () => {
  const uri = 'file:///gold.bio';
  const text = bio('Patients O', 'with O', 'Duchenne O', 'muscular O', 'dystrophy O', 'were O', 'studied O', '. O');
  const published = await openUntilDisagreement(server, uri, text);
  const disagreement = published.find((d) => d.code === 'model-disagreement')!;
  assert.equal(disagreement.severity, 3);
  assert.match(disagreement.message, /The model tags '.*dystrophy' as Disease \(\d+\.\d%\); the gold tags are O/);
  const actions: CodeAction[] = await server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: disagreement.range,
    context: { diagnostics: [disagreement] },
  });
  const fix = actions.find((a) => /^Apply the model's tags to '.*dystrophy'$/.test(a.title))!;
  const fixed = applyTextEdits(text, fix.edit!.changes![uri]);
  assert.match(fixed, /dystrophy\tI-Disease/);
  const hints: InlayHint[] = await server.connection.sendRequest('textDocument/inlayHint', {
    textDocument: { uri },
    range: { start: { line: 0, character: 0 }, end: { line: 8, character: 0 } },
  });
  assert.ok(hints.some((h) => /≠ model [BI]-Disease/.test(String(h.label))));
  const hover: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 2 } });
  assert.match((hover.contents as { value: string }).value, /\*\*Model\*\*: `I-Disease`/);
});

test('BIO files and a multi-corpus model: only the types the file annotates are compared with gold', async () => {
  const multi = await startServer({ configuration: { modelPath: DEFAULT_MODEL, threads: 1 } });
  try {
    const rows = ['Mice O', 'with O', 'breast O', 'cancer O', 'were O', 'treated O', 'with O', 'cisplatin O', '. O'];
    const messages = async (uri: string, text: string) => (await openUntilDisagreement(multi, uri, text)).filter((d) => d.code === 'model-disagreement').map((d) => d.message);
    // Without gold entities every type the model knows is its opinion ...
    const untyped = await messages('file:///untyped.bio', bio(...rows));
    assert.ok(untyped.some((m) => / as Species /.test(m)), untyped.join('\n'));
    // ... with Disease tags only diseases are: mice and cisplatin are not the file's types.
    const diseases = await messages('file:///diseases.bio', bio('Asthma B-Disease', 'worsened O', '. O', '', ...rows));
    assert.ok(diseases.some((m) => /'breast cancer' as Disease/.test(m)), diseases.join('\n'));
    assert.deepEqual(diseases.filter((m) => / as (Species|Chemical) /.test(m)), []);
  } finally {
    await multi.stop();
  }
});

test('a broken model folder degrades to the model-free features with a visible explanation', async () => {
  const broken = await startServer({ configuration: { modelPath: '/nonexistent/model' } });
  try {
    const uri = 'file:///still-checked.bio';
    const published = broken.diagnostics(uri);
    broken.open(uri, bio('a O', 'b I-X'));
    assert.deepEqual((await published).diagnostics.map((d) => d.code), ['invalid-start']);
    await broken.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    const error = (broken.notifications(MODEL_STATUS_NOTIFICATION.method) as ModelStatus[]).find((s) => s.state === 'error');
    assert.ok(error, 'no error status');
    assert.match(error.message ?? '', /\/nonexistent\/model is not a usable model folder:\n- the folder does not exist\n.*work without a model/);
  } finally {
    await broken.stop();
  }
});

test('a long first pass reports $/progress from begin to end', async () => {
  const uri = 'file:///long-notes.txt';
  const sentence = 'Patients with Duchenne muscular dystrophy and breast cancer were studied in this cohort of families.';
  const text = Array.from({ length: 3000 }, (_, i) => `${sentence.replace('cohort', `cohort ${i}`)}`).join('\n\n');
  server.open(uri, text, 'plaintext');
  await tokensOf(uri);
  const kinds = (server.notifications('$/progress') as { value: { kind: string; message?: string; cancellable?: boolean } }[]).map((p) => p.value);
  const begin = kinds.find((v) => v.kind === 'begin');
  assert.ok(begin, `no progress begin in ${JSON.stringify(kinds.slice(0, 3))}`);
  assert.equal(begin.cancellable, true);
  assert.ok(kinds.some((v) => v.kind === 'report' && /long-notes\.txt: \d+\/\d+ batches/.test(v.message ?? '')));
  assert.equal(kinds[kinds.length - 1].kind, 'end');
});
