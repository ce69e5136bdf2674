/** The NER engine on the small real model the repository ships (test/fixtures/model). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NerEngine } from '../../server/src/core/ner/engine';
import { loadModelFolder, ModelFolderError } from '../../server/src/core/ner/modelFolder';
import { DEFAULT_SETTINGS } from '@common/settings';
import { readSentences, wordsOf } from '../../server/src/core/conll/corpus';
import { validateSequence } from '../../server/src/core/conll/sequence';
import { parseTag, type Tag } from '../../server/src/core/conll/tags';
import { EXCERPTS, TEST_MODEL, WORKER_SCRIPT } from '../support/fixtures';

const SENTENCES = [
  'Patients with Duchenne muscular dystrophy and breast cancer were studied .'.split(' '),
  'The cisplatin - induced nephrotoxicity was severe .'.split(' '),
  'No abnormality was found .'.split(' '),
];

let engine: NerEngine;
before(async () => {
  engine = await NerEngine.load(TEST_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu' });
});
after(async () => {
  await engine.dispose();
});

const tags = (labels: string[]) => labels.map((l) => (parseTag(l) as { tag: Tag }).tag);

test('predictions are valid IOB2 with one label per word and confidences that are probabilities', async () => {
  const predictions = await engine.predict(SENTENCES);
  predictions.forEach((p, i) => {
    assert.equal(p.labels.length, SENTENCES[i].length);
    assert.deepEqual(validateSequence(tags(p.labels), 'IOB2'), []);
    for (const span of p.spans) assert.ok(span.confidence > 0 && span.confidence <= 1);
    for (const ranked of p.ranked) {
      assert.ok(ranked.every((r, k) => r.probability >= 0 && r.probability <= 1 && (k === 0 || r.probability <= ranked[k - 1].probability)));
    }
  });
  // A model trained on NCBI-disease finds the disease.
  const diseases = predictions[0].spans.map((s) => SENTENCES[0].slice(s.start, s.end).join(' '));
  assert.ok(diseases.some((d) => /dystrophy|cancer/.test(d)), `no disease found in: ${diseases}`);
});

test('a sentence gets the same labels alone and batched with longer ones (padding does not leak)', async () => {
  const fresh = await NerEngine.load(TEST_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu' });
  try {
    const alone = await fresh.predict([SENTENCES[2]]);
    const other = await NerEngine.load(TEST_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu' });
    const batched = await other.predict(SENTENCES);
    await other.dispose();
    assert.deepEqual(batched[2].labels, alone[0].labels);
    assert.ok(Math.abs(batched[2].ranked[0][0].probability - alone[0].ranked[0][0].probability) < 1e-4);
  } finally {
    await fresh.dispose();
  }
});

test('sentences longer than the model maximum are windowed and merged into one valid sequence', async () => {
  const long = Array.from({ length: Math.ceil(engine.folder.maxLength / 4) }, () => SENTENCES[0]).flat();
  assert.ok(long.length > engine.folder.maxLength, 'the test sentence must exceed the maximum length');
  const [prediction] = await engine.predict([long]);
  assert.equal(prediction.labels.length, long.length);
  assert.deepEqual(validateSequence(tags(prediction.labels), 'IOB2'), []);
});

test('two sessions share the batches of many sentences and give the labels one session gives', async () => {
  const sentences = (await readSentences(EXCERPTS[0], DEFAULT_SETTINGS)).map(wordsOf);
  assert.ok(sentences.length > 2 * 64, 'enough sentences for several batches');
  const two = await NerEngine.load(TEST_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu', workers: 2 });
  try {
    const parallel = await two.predict(sentences);
    const single = await engine.predict(sentences);
    assert.deepEqual(parallel.map((p) => p.labels), single.map((p) => p.labels));
    assert.ok(single.some((p) => p.spans.length > 0));
  } finally {
    await two.dispose();
  }
});

test('results are cached per sentence', async () => {
  await engine.predict([SENTENCES[1]]);
  assert.ok(engine.cached(SENTENCES[1]));
  assert.equal(engine.cached(['never', 'seen', 'before']), undefined);
});

test('an unavailable device falls back to the CPU and says why', { skip: existsSync('/dev/nvidia0') ? 'this machine has a GPU' : false }, async () => {
  const gpu = await NerEngine.load(TEST_MODEL, { workerScript: WORKER_SCRIPT, device: 'cuda' });
  try {
    assert.equal(gpu.device, 'cpu');
    assert.match(gpu.fallbackReason ?? '', /cuda/i);
  } finally {
    await gpu.dispose();
  }
});

test('broken model folders are rejected with every problem named', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-model-'));
  try {
    assert.throws(() => loadModelFolder(path.join(dir, 'missing')), /does not exist/);
    assert.throws(() => loadModelFolder(dir), (e: ModelFolderError) => e.problems.includes('config.json is missing') && e.problems.includes('onnx/model.onnx is missing'));
    cpSync(TEST_MODEL, dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', id2label: { 0: 'O', 1: 'B_Disease' } }));
    assert.throws(() => loadModelFolder(dir), /label 'B_Disease' \(id 1\) is not a BIO tag/);
    writeFileSync(path.join(dir, 'config.json'), '{ not json');
    assert.throws(() => loadModelFolder(dir), /config\.json is not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model with several heads decodes each and merges their spans without overlaps', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-heads-'));
  cpSync(TEST_MODEL, dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const { crf } = config.bioner;
  config.bioner.heads = [
    { name: 'first', labels: [0, 1, 2], crf },
    { name: 'second', labels: [0, 1, 2], crf },
  ];
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const twoHeads = await NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu' });
  try {
    const [merged] = await twoHeads.predict([SENTENCES[0]]);
    const [single] = await engine.predict([SENTENCES[0]]);
    assert.deepEqual(merged.labels, single.labels);
    assert.deepEqual(
      merged.spans.map((s) => [s.start, s.end, s.type]),
      single.spans.map((s) => [s.start, s.end, s.type]),
    );
    assert.equal(new Set(merged.ranked[0].map((r) => r.label)).size, merged.ranked[0].length);
  } finally {
    await twoHeads.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the heads option decodes only the named heads of a multi-head model and names the heads when one is unknown', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-heads-'));
  cpSync(TEST_MODEL, dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  config.bioner.heads = [
    { name: 'disease', labels: [0, 1, 2], crf: config.bioner.crf },
    { name: 'nothing', labels: [0] },
  ];
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const [single] = await engine.predict([SENTENCES[0]]);
  assert.ok(single.spans.length > 0, 'the sample sentence has predicted entities');
  for (const [heads, expected] of [[['disease'], single.spans.length], [['nothing'], 0]] as const) {
    const selected = await NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu', heads });
    try {
      const [prediction] = await selected.predict([SENTENCES[0]]);
      assert.equal(prediction.spans.length, expected, `heads ${heads}`);
    } finally {
      await selected.dispose();
    }
  }
  await assert.rejects(NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu', heads: ['chemical'] }), /no head named 'chemical'; its heads are disease, nothing/);
  rmSync(dir, { recursive: true, force: true });
});

test('a head marked "default": false is decoded only when named, and a model needs one default head', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bioner-heads-'));
  cpSync(TEST_MODEL, dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const write = (heads: unknown[]) => writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, bioner: { ...config.bioner, heads } }));
  const [single] = await engine.predict([SENTENCES[0]]);
  try {
    write([{ name: 'nothing', labels: [0] }, { name: 'guideline', labels: [0, 1, 2], crf: config.bioner.crf, default: false }]);
    for (const [heads, expected] of [[undefined, 0], [['guideline'], single.spans.length]] as const) {
      const loaded = await NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu', heads });
      try {
        assert.equal((await loaded.predict([SENTENCES[0]]))[0].spans.length, expected, `heads ${heads}`);
      } finally {
        await loaded.dispose();
      }
    }
    write([{ name: 'guideline', labels: [0, 1, 2], crf: config.bioner.crf, default: false }]);
    assert.throws(() => loadModelFolder(dir), /every head has "default": false/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('types choose the spans and rankings a prediction keeps, each choice cached on its own', async () => {
  const [every] = await engine.predict([SENTENCES[0]]);
  assert.ok(every.spans.some((s) => s.type === 'Disease'));
  const [disease] = await engine.predict([SENTENCES[0]], { types: new Set(['Disease']) });
  assert.deepEqual(disease.spans, every.spans);
  const [other] = await engine.predict([SENTENCES[0]], { types: new Set(['Chemical']) });
  assert.deepEqual(other.spans, []);
  assert.ok(other.labels.every((label) => label === 'O'));
  assert.ok(other.ranked.flat().every((r) => r.label === 'O'), 'no Disease label is ranked');
  assert.deepEqual(engine.cached(SENTENCES[0], new Set(['Chemical']))?.spans, []);
  assert.deepEqual(engine.cached(SENTENCES[0])?.spans, every.spans);
});
