/**
 * The language server with `bioner.inference.endpoint` set, against a real tritonserver (test/support/tritonServer.ts)
 * serving the test model's exported repository: predictions come from the server and equal local ones, the status
 * names the endpoint; a dead endpoint, at load or mid-session, hands over to the local model and the status says why.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { SemanticTokens } from 'vscode-languageserver-protocol';
import { INFERENCE_AUTHORIZATION_NOTIFICATION, MODEL_STATUS_NOTIFICATION, type ModelStatus } from '@common/protocol';
import { freePort, TEST_MODEL } from '../support/fixtures';
import { unavailable, type InferenceServerUnderTest } from '../support/inferenceServers';
import { startServer, type ServerSession } from '../support/lspClient';
import { TRITON_VENV } from '../support/servingVenv';
import { TRITON, tritonInferences } from '../support/tritonServer';

const TIMEOUT = { timeout: 180_000 };
const MODEL_NAME = 'model';
const NOTE = [
  '# Case notes',
  '',
  'Patients with Duchenne muscular dystrophy and breast cancer were given aspirin and cisplatin.',
  'Acute renal failure followed the naproxen overdose in two of them.',
  '',
].join('\n');
const EDITED = NOTE.replace('two of them', 'three of them, who also had cystic fibrosis');

/** The test model as Triton serves it (export-serving's default batch limit). */
const SERVED = { folder: TEST_MODEL, name: MODEL_NAME, maxBatch: 64 };

let unreachable: string | undefined;
let triton: InferenceServerUnderTest | undefined;
/** Semantic tokens of NOTE and EDITED, the model running locally. */
let local: { note: number[]; edited: number[] };

before(async () => {
  unreachable = unavailable(TRITON_VENV);
  if (unreachable) return;
  triton = await TRITON.start(SERVED);
  const session = await startServer({ configuration: { modelPath: TEST_MODEL } });
  local = { note: await tokensOf(session, 'file:///local.md', NOTE), edited: [] };
  session.change('file:///local.md', 2, EDITED);
  local.edited = await tokensOf(session, 'file:///local.md');
  await session.stop();
  assert.ok(local.note.length >= 15 && local.edited.length > local.note.length, `the model finds entities in the note: ${local.note.length / 5} tokens, ${local.edited.length / 5} once edited`);
});

after(() => triton?.stop());

/** The document's semantic tokens once analysed (opened first when `text` is given). */
async function tokensOf(session: ServerSession, uri: string, text?: string): Promise<number[]> {
  if (text !== undefined) session.open(uri, text, 'markdown');
  const result: SemanticTokens = await session.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } });
  return result.data;
}

const remoteSettings = (endpoint: string, protocol = 'rest') => ({ modelPath: TEST_MODEL, 'inference.endpoint': endpoint, 'inference.protocol': protocol, 'inference.modelName': MODEL_NAME });
const readyStatus = (session: ServerSession, accept: (status: ModelStatus) => boolean = () => true) =>
  session.nextNotification<ModelStatus>(MODEL_STATUS_NOTIFICATION.method, (status) => status.state === 'ready' && accept(status));

test('with bioner.inference.endpoint, over REST and gRPC, the server runs the graph, the tokens equal local ones and the status names the endpoint', TIMEOUT, async (t) => {
  if (unreachable) return t.skip(unreachable);
  for (const [protocol, endpoint] of [
    ['rest', triton!.rest],
    ['grpc', triton!.grpc],
  ]) {
    const session = await startServer({ configuration: remoteSettings(endpoint, protocol) });
    const ready = readyStatus(session);
    const before = await tritonInferences(triton!, MODEL_NAME);
    assert.deepEqual(await tokensOf(session, 'file:///remote.md', NOTE), local.note, protocol);
    const status = await ready;
    assert.equal(status.remote, endpoint);
    assert.match(status.device ?? '', new RegExp(`model ${MODEL_NAME}, ${protocol === 'grpc' ? 'gRPC' : 'REST'}`));
    assert.equal(status.message, undefined);
    assert.ok((await tritonInferences(triton!, MODEL_NAME)) > before, `Triton ran no inference over ${protocol}`);
    await session.stop();
  }
});

test('a dead endpoint at load: the local model runs, and the status says which server failed and why', TIMEOUT, async (t) => {
  if (unreachable) return t.skip(unreachable);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const session = await startServer({ configuration: remoteSettings(dead) });
  const ready = readyStatus(session);
  assert.deepEqual(await tokensOf(session, 'file:///dead.md', NOTE), local.note);
  const status = await ready;
  assert.equal(status.remote, undefined);
  assert.match(status.message ?? '', new RegExp(`^The inference server at ${dead} cannot be used: it did not answer GET /v2/health/ready: ECONNREFUSED \\(after 3 retries\\)\\. The model runs on this machine`));
  await session.stop();
});

test('the server killed mid-session: the next edit is analysed by the local model, and the status says the server stopped answering', TIMEOUT, async (t) => {
  if (unreachable) return t.skip(unreachable);
  const dying = await TRITON.start(SERVED);
  const endpoint = dying.rest;
  const session = await startServer({ configuration: remoteSettings(endpoint) });
  assert.deepEqual(await tokensOf(session, 'file:///dying.md', NOTE), local.note);
  await dying.stop();
  const fallback = readyStatus(session, (status) => status.remote === undefined);
  session.change('file:///dying.md', 2, EDITED);
  const status = await fallback;
  assert.match(status.message ?? '', new RegExp(`^The inference server at ${endpoint} stopped answering: it did not answer POST /v2/models/${MODEL_NAME}/infer: \\w+ \\(after 3 retries\\)\\. The model runs on this machine`));
  assert.deepEqual(await tokensOf(session, 'file:///dying.md'), local.edited);
  await session.stop();
});

test("the client's token reaches the server as the Authorization header; without it the server's 401 is shown and the model runs locally", TIMEOUT, async (t) => {
  if (unreachable) return t.skip(unreachable);
  // A gateway in front of Triton that lets only 'Bearer s3cret' through, as an authenticating proxy would.
  const gateway = createServer(async (request, response) => {
    if (request.headers.authorization !== 'Bearer s3cret') return void response.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"missing or wrong token"}');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const forwarded = (headers: Iterable<[string, string]>) => Object.fromEntries([...headers].filter(([name]) => /^(content-type|inference-header-content-length)$/i.test(name)));
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(triton!.rest + request.url, { method: request.method, headers: forwarded(Object.entries(request.headers) as [string, string][]), body });
    response.writeHead(answer.status, forwarded(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
  try {
    const session = await startServer({ configuration: remoteSettings(endpoint) });
    const refused = readyStatus(session);
    assert.deepEqual(await tokensOf(session, 'file:///token.md', NOTE), local.note);
    assert.match((await refused).message ?? '', /cannot be used: it is not ready \(401: missing or wrong token\)\. The model runs on this machine/);
    const remote = readyStatus(session, (status) => status.remote === endpoint);
    await session.connection.sendNotification(INFERENCE_AUTHORIZATION_NOTIFICATION.method, { authorization: 'Bearer s3cret' });
    session.change('file:///token.md', 2, EDITED);
    assert.equal((await remote).message, undefined);
    assert.deepEqual(await tokensOf(session, 'file:///token.md'), local.edited);
    await session.stop();
  } finally {
    gateway.close();
  }
});
