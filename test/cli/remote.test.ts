/**
 * `bioner annotate|eval --endpoint URL` against real Open Inference Protocol servers on 127.0.0.1, one suite run
 * against each: KServe's own ModelServer serving the test model's graph with onnxruntime (kserve_onnx_server.py), and
 * Triton serving the repository `bioner export-serving` wrote (tritonServer.ts). Over REST with binary and with JSON
 * tensors and over gRPC the labels and confidences are the local ones word for word, and so are the scores; an
 * unknown model and a batch over the server's limit end in the server's own reason; a server killed in the middle of a
 * corpus run ends it with only whole outputs, and once the server is back the rerun resumes to the local outputs byte
 * for byte. Then KServe alone: binary tensors refused, another model's inputs, no server at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXCERPTS, freePort, TEST_MODEL } from '../support/fixtures';
import {
  KSERVE,
  runBioner,
  SERVED_TEST_MODEL,
  startKServe,
  TRANSPORTS,
  unavailable,
  type CliRun,
  type InferenceServerUnderTest,
  type RunningServer,
  type ServerKind,
} from '../support/inferenceServers';
import { TRITON } from '../support/tritonServer';

const [BC5CDR] = EXCERPTS;
/** The excerpt's sentences in this many BIO files: a corpus run long enough to be killed in its middle. */
const CORPUS_FILES = 10;
/** The protocol of each corpus run whose server is killed under it, in order; a last run then completes the corpus. */
const KILLED_RUNS = ['rest', 'grpc'] as const;
/** A run whose server died gives up after 3 retries, 200, 400 and 800 ms apart: seconds, far under this. */
const GIVES_UP_MS = 30_000;

const work = mkdtempSync(path.join(tmpdir(), 'bioner-remote-'));
const corpus = writeCorpus(path.join(work, 'corpus'));
after(() => rmSync(work, { recursive: true, force: true }));

const annotate = (...args: string[]) => runBioner('annotate', BC5CDR, '--model', TEST_MODEL, '--format', 'jsonl', ...args);
const evaluate = (...args: string[]) => runBioner('eval', BC5CDR, '--model', TEST_MODEL, '--json', ...args);
const review = (...args: string[]) => runBioner('review', BC5CDR, '--model', TEST_MODEL, '--json', ...args);
const annotateCorpus = (out: string, ...args: string[]) => runBioner('annotate', corpus, '--out', out, '--model', TEST_MODEL, ...args);

/** What the model gives on this machine, each made once and compared with every server's. */
const local = {
  annotation: once(() => succeeded(annotate())),
  scores: once(() => succeeded(evaluate())),
  review: once(() => succeeded(review())),
  corpus: once(async () => {
    const out = path.join(work, 'local');
    await succeeded(annotateCorpus(out));
    return filesIn(out);
  }),
};

/** How each protocol is asked for, and how the CLI names its requests and the server's refusals. */
const PROTOCOLS = {
  rest: {
    endpoint: TRANSPORTS['REST, binary tensors'],
    infer: (model: string) => `POST /v2/models/${model}/infer`,
    notFound: '404',
    invalid: '400',
  },
  grpc: {
    endpoint: TRANSPORTS['gRPC, raw tensors'],
    infer: () => 'ModelInfer',
    notFound: 'NOT_FOUND',
    invalid: 'INVALID_ARGUMENT',
  },
};

for (const kind of [KSERVE, TRITON]) serverSuite(kind);

/** The shared suite, against one server serving the test model. */
function serverSuite(kind: ServerKind): void {
  describe(kind.name, () => {
    let skip: string | undefined;
    let server: InferenceServerUnderTest;
    before(async () => {
      skip = unavailable(kind.venv);
      if (!skip) server = await kind.start(SERVED_TEST_MODEL);
    });
    after(() => server?.stop());
    const named = (what: string) => `[${kind.name}] ${what}`;
    /** The served model by name, in batches it accepts. */
    const served = () => ['--model-name', server.model.name, '--max-batch', String(server.model.maxBatch)];

    for (const [transport, endpoint] of Object.entries(TRANSPORTS)) {
      test(named(`${transport}: annotate gives the local labels and confidences word for word`), async (t) => {
        if (skip) return t.skip(skip);
        const remote = await annotate(...endpoint(server), ...served());
        assert.equal(remote.status, 0, `${remote.stderr}\n${server.log().slice(-3000)}`);
        assert.equal(remote.stdout.split('\n').length, 301, 'one line per sentence');
        assert.equal(remote.stdout, (await local.annotation()).stdout);
        assert.match(remote.stderr, new RegExp(`^bioner: remote inference at http://127\\.0\\.0\\.1:\\d+ \\(model ${server.model.name}, (REST|gRPC)\\): \\d+ words/s, \\d+ requests, 0 retries, ${transport}$`, 'm'));
      });
    }

    test(named('eval --endpoint gives the local scores'), async (t) => {
      if (skip) return t.skip(skip);
      const remote = await evaluate('--endpoint', server.rest, ...served());
      assert.equal(remote.status, 0, remote.stderr);
      assert.deepEqual(JSON.parse(remote.stdout), JSON.parse((await local.scores()).stdout));
    });

    test(named('review --endpoint over gRPC ranks the local likely label errors, with the local scores'), async (t) => {
      if (skip) return t.skip(skip);
      const remote = await review(...PROTOCOLS.grpc.endpoint(server), ...served());
      assert.equal(remote.status, 0, remote.stderr);
      const items = (await local.review()).stdout;
      assert.ok(items.split('\n').length > 10, 'the test model doubts some gold tags of the excerpt');
      assert.equal(remote.stdout, items);
    });

    test(named("an unknown model: exit 2 and the server's answer, over REST (404) and gRPC (NOT_FOUND)"), async (t) => {
      if (skip) return t.skip(skip);
      for (const protocol of Object.values(PROTOCOLS)) {
        const run = await annotate(...protocol.endpoint(server), '--model-name', 'no-such-model');
        assert.equal(run.status, 2, run.stderr);
        const answer = `${protocol.notFound}: ${server.unknownModel('no-such-model')}`;
        assert.match(run.stderr, new RegExp(`^bioner: the inference server at http://127\\.0\\.0\\.1:\\d+ serves no model 'no-such-model' \\(${literal(answer)}\\)$`, 'm'));
      }
    });

    test(named("a batch over the server's max batch size: exit 2 with the server's reason, over REST (400) and gRPC (INVALID_ARGUMENT)"), async (t) => {
      if (skip) return t.skip(skip);
      const { name, maxBatch } = server.model;
      for (const protocol of Object.values(PROTOCOLS)) {
        const run = await annotate(...protocol.endpoint(server), '--model-name', name, '--max-batch', String(2 * maxBatch));
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`answered ${protocol.invalid}: .*inference request batch-size must be <= ${maxBatch} for '${name}'$`, 'm'));
        assert.doesNotMatch(run.stderr, /model folder/);
      }
    });

    test(named('killed in the middle of a corpus run, over REST then gRPC: exit 2, only whole outputs; restarted, the rerun resumes to the local outputs byte for byte'), async (t) => {
      if (skip) return t.skip(skip);
      const out = path.join(work, `${kind.name}-out`);
      mkdirSync(out);
      const expected = await local.corpus();
      for (const protocol of KILLED_RUNS) {
        const run = await killedMidRun(server, out, () => annotateCorpus(out, ...PROTOCOLS[protocol].endpoint(server), ...served()));
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`did not answer ${literal(PROTOCOLS[protocol].infer(server.model.name))}: .+ \\(after 3 retries\\)`));
        assert.ok(run.afterKillMs < GIVES_UP_MS, `it gives up within seconds, not ${run.afterKillMs} ms`);
        const written = filesIn(out);
        assert.ok(written.size > 0, 'an output was written before the kill');
        for (const [file, text] of written) assert.equal(text, expected.get(file), `${file} is whole`);
        assert.deepEqual(readdirSync(out).filter((name) => name.endsWith('.tmp')), [], 'no temporary file is left behind');
        t.diagnostic(`${protocol}: ${written.size} of ${CORPUS_FILES} outputs after the kill; gave up ${run.afterKillMs} ms after it: ${run.stderr.trim().split('\n').at(-1)}`);
        await server.restart();
      }
      const resumed = await annotateCorpus(out, '--endpoint', server.rest, ...served());
      assert.equal(resumed.status, 0, resumed.stderr);
      const [, annotated, skipped] = /annotated (\d+) files?, skipped (\d+) /.exec(resumed.stderr) ?? [];
      assert.ok(Number(skipped) >= KILLED_RUNS.length, `the rerun skips the outputs of the killed runs: ${resumed.stderr}`);
      assert.equal(Number(annotated) + Number(skipped), CORPUS_FILES);
      assert.deepEqual(filesIn(out), expected);
      t.diagnostic(resumed.stderr.trim().split('\n').at(-1) ?? '');
    });
  });
}

/**
 * Starts a run and kills the server (SIGKILL) as soon as the run has written an output into `out`; the run's end, and
 * how long it took after the kill.
 */
async function killedMidRun(server: InferenceServerUnderTest, out: string, start: () => Promise<CliRun>): Promise<CliRun & { afterKillMs: number }> {
  let written!: () => void;
  const outputWritten = new Promise<void>((resolve) => (written = resolve));
  // Outputs appear whole, renamed from hidden temporary files; the run's identity file is hidden too.
  const watcher = watch(out, (_, name) => name && !name.startsWith('.') && written());
  const run = start();
  await Promise.race([outputWritten, run]).finally(() => watcher.close());
  await server.kill();
  const killed = Date.now();
  return { ...(await run), afterKillMs: Date.now() - killed };
}

describe('kserve only', () => {
  let skip: string | undefined;
  /** The model served with binary tensors refused, and under another input name; under its folder's name. */
  let jsonOnly: RunningServer;
  let renamed: RunningServer;
  const model = { ...SERVED_TEST_MODEL, name: 'model' };
  before(async () => {
    skip = unavailable(KSERVE.venv);
    if (!skip) [jsonOnly, renamed] = await Promise.all([startKServe(model, '--reject-binary'), startKServe(model, '--rename-input', 'input_ids=ids')]);
  });
  after(() => Promise.all([jsonOnly?.kill(), renamed?.kill()]));

  test('annotate --endpoint falls back to JSON tensors when the server refuses binary ones; batches split to --max-batch', async (t) => {
    if (skip) return t.skip(skip);
    const remote = await annotate('--endpoint', jsonOnly.rest, '--max-batch', '8', '--concurrency', '2');
    assert.equal(remote.status, 0, remote.stderr);
    assert.equal(remote.stdout, (await local.annotation()).stdout);
    assert.match(remote.stderr, /\(model model, REST\): \d+ words\/s, \d+ requests, 0 retries, REST, JSON tensors\n/);
  });

  test("a served model with other inputs than the model folder's graph: exit 2, both lists of inputs", async (t) => {
    if (skip) return t.skip(skip);
    const run = await annotate('--endpoint', renamed.rest);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /serves 'model' with inputs attention_mask \(INT64\), ids \(INT64\), but the model folder's graph takes attention_mask \(INT64\), input_ids \(INT64\): is it another model\?/);
  });

  test('no server at the endpoint: exit 2 with the connection error; a bad URL or --concurrency without --endpoint is a usage error', async () => {
    const none = await annotate('--endpoint', `http://127.0.0.1:${await freePort()}`);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /did not answer GET \/v2\/health\/ready: ECONNREFUSED \(after 3 retries\)/);
    const badUrl = await annotate('--endpoint', 'localhost:8000');
    assert.match(badUrl.stderr, /--endpoint: 'localhost:8000' is not an http\(s\) URL/);
    const stray = await annotate('--concurrency', '2');
    assert.match(stray.stderr, /--concurrency needs --endpoint URL/);
  });
});

/** The excerpt's sentences split into CORPUS_FILES BIO files in `dir`. */
function writeCorpus(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const sentences = readFileSync(BC5CDR, 'utf8').split(/\n\n+/).filter((block) => block.trim() !== '');
  const perFile = Math.ceil(sentences.length / CORPUS_FILES);
  for (let i = 0; i < CORPUS_FILES; i++) {
    const part = sentences.slice(i * perFile, (i + 1) * perFile);
    writeFileSync(path.join(dir, `part-${String(i).padStart(2, '0')}.tsv`), part.map((sentence) => `${sentence}\n`).join('\n'));
  }
  return dir;
}

/** The visible files in `dir` (the outputs, not the run's identity or temporary files) and their texts. */
function filesIn(dir: string): Map<string, string> {
  const names = readdirSync(dir).filter((name) => !name.startsWith('.')).sort();
  return new Map(names.map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
}

/** A run that must succeed: what it printed. */
async function succeeded(run: Promise<CliRun>): Promise<CliRun> {
  const done = await run;
  assert.equal(done.status, 0, done.stderr);
  return done;
}

/** `make`'s promise, made at the first call only. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
