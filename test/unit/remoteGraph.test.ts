/**
 * RemoteGraph's transport against a scripted v2 server on 127.0.0.1: the Authorization header on every request, retries
 * on 429/5xx but not on another 4xx, batches split to maxBatch and put back in order, binary requests decoded.
 * (Agreement with a real server's logits is test/cli/remote.test.ts's.)
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { HEADER_LENGTH } from '../../server/src/core/ner/inferenceTensors';
import { RemoteGraph } from '../../server/src/core/ner/remoteGraph';

/** Statuses the next infer requests get before one is answered. */
let failures: { status: number; error: string }[] = [];
const seen: { path: string; authorization?: string; rows?: number }[] = [];
let server: Server;
let endpoint: string;

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

before(async () => {
  server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const record: (typeof seen)[number] = { path: request.url!, authorization: request.headers.authorization };
    seen.push(record);
    const reply = (status: number, json: unknown): void => void response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(json));
    if (request.url === '/v2/health/ready') return reply(200, { ready: true });
    if (request.url === '/v2/models/m') return reply(200, { inputs: [{ name: 'attention_mask', datatype: 'INT64' }, { name: 'input_ids', datatype: 'INT64' }], outputs: [{ name: 'logits', datatype: 'FP32' }] });
    const failure = failures.shift();
    if (failure) return reply(failure.status, { error: failure.error });
    // The logits of each position are its input id, as one label: the order of the rows shows.
    const headerLength = Number(request.headers[HEADER_LENGTH.toLowerCase()]);
    const header = JSON.parse(body.subarray(0, headerLength).toString()) as { inputs: { name: string; shape: number[] }[] };
    const at = headerLength + header.inputs.findIndex((input) => input.name === 'input_ids') * (body.length - headerLength) / 2;
    const ids = new BigInt64Array(body.buffer.slice(body.byteOffset + at, body.byteOffset + at + (body.length - headerLength) / 2));
    const shape = header.inputs[0].shape;
    record.rows = shape[0];
    reply(200, { outputs: [{ name: 'logits', datatype: 'FP32', shape: [...shape, 1], data: Array.from(ids, Number) }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => server.close());
beforeEach(() => {
  failures = [];
  seen.length = 0;
});

const connect = (maxBatch = 64) => RemoteGraph.connect({ endpoint, modelName: 'm', inputNames: ['input_ids', 'attention_mask'], maxBatch, backoffMs: 1, authorization: 'Bearer secret' });
const ids = (rows: number, sequence: number) => BigInt64Array.from({ length: rows * sequence }, (_, i) => BigInt(i));

test('every request carries the Authorization header; 429 and 503 are retried, the batch answered', async () => {
  const graph = await connect();
  failures = [
    { status: 429, error: 'busy' },
    { status: 503, error: 'loading' },
  ];
  const output = await graph.run(ids(2, 3), new BigInt64Array(6).fill(1n), 2, 3);
  assert.deepEqual(Array.from(output.logits), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(output.dims, [2, 3, 1]);
  assert.deepEqual(graph.stats, { requests: 3, retries: 2 });
  assert.equal(graph.transportDescription, 'REST, binary tensors');
  assert.ok(seen.every((request) => request.authorization === 'Bearer secret'), JSON.stringify(seen));
});

test('a 4xx other than 429 is not retried and its message is shown', async () => {
  const graph = await connect();
  failures = [{ status: 422, error: 'input_ids: wrong shape' }];
  await assert.rejects(graph.run(ids(1, 2), new BigInt64Array(2).fill(1n), 1, 2), /the inference server at http:\/\/127\.0\.0\.1:\d+ POST \/v2\/models\/m\/infer answered 422: input_ids: wrong shape$/);
  assert.equal(graph.stats.retries, 0);
});

test('a batch larger than maxBatch goes in several requests, its logits back in order', async () => {
  const graph = await connect(2);
  const output = await graph.run(ids(5, 2), new BigInt64Array(10).fill(1n), 5, 2);
  assert.deepEqual(Array.from(output.logits), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(output.dims, [5, 2, 1]);
  assert.deepEqual(seen.filter((request) => request.rows !== undefined).map((request) => request.rows).sort(), [1, 2, 2]);
});
