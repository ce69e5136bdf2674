/**
 * Multi-head graphs cut to the heads a run reads (graphPruning.ts), on the default model: the cut graph's logits of
 * the kept heads are the whole graph's, the others are zeros, and the other heads' encoders are gone; the worker's
 * sessions per head set and the engine's predictions agree with the whole graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as protobuf from 'protobufjs';
import { NerEngine } from '../../server/src/core/ner/engine';
import { HeadGraphs, pruneToHeads } from '../../server/src/core/ner/graphPruning';
import { loadModelFolder } from '../../server/src/core/ner/modelFolder';
import { SubwordEncoder } from '../../server/src/core/ner/subwords';
import { WorkerPool } from '../../server/src/core/ner/workerPool';
import { DEFAULT_MODEL, ROOT, TEST_MODEL, WORKER_SCRIPT } from '../support/fixtures';

const SENTENCES = [
  'Cisplatin - induced acute renal failure ( ARF ) was seen in two patients .',
  'The BRCA1 gene and the p53 protein are expressed in HeLa cells of the mouse liver .',
  'No abnormality was found .',
].map((s) => s.split(' '));

const folder = loadModelFolder(DEFAULT_MODEL);
const widths = folder.heads.map((head) => head.labels.length);
const modelBytes = readFileSync(folder.onnxPath);
const headIndex = (name: string) => folder.heads.findIndex((head) => head.name === name);

/** The sentences' windows as one padded batch. */
function batch(): { inputIds: BigInt64Array; attentionMask: BigInt64Array; batch: number; sequence: number } {
  const windows = SENTENCES.map((words) => new SubwordEncoder(folder).windows(words)[0]);
  const sequence = Math.max(...windows.map((w) => w.ids.length));
  const inputIds = new BigInt64Array(windows.length * sequence);
  const attentionMask = new BigInt64Array(windows.length * sequence);
  windows.forEach((window, b) =>
    window.ids.forEach((id, t) => {
      inputIds[b * sequence + t] = BigInt(id);
      attentionMask[b * sequence + t] = 1n;
    }),
  );
  return { inputIds, attentionMask, batch: windows.length, sequence };
}

async function logitsOf(graph: Uint8Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(graph, { intraOpNumThreads: 1 });
  const { inputIds, attentionMask, batch: rows, sequence } = batch();
  const output = await session.run({ input_ids: new ort.Tensor('int64', inputIds, [rows, sequence]), attention_mask: new ort.Tensor('int64', attentionMask, [rows, sequence]) });
  await session.release();
  return output.logits.data as Float32Array;
}

/** Per label column of the logits: whether the kept heads' columns equal `whole` and the others are zero. */
function assertKept(cut: Float32Array, whole: Float32Array, keep: readonly number[]): void {
  assert.equal(cut.length, whole.length);
  const labels = widths.reduce((a, b) => a + b, 0);
  const headOf = widths.flatMap((width, h) => Array<number>(width).fill(h));
  let keptValues = 0;
  for (let i = 0; i < whole.length; i++) {
    if (keep.includes(headOf[i % labels])) {
      assert.equal(cut[i], whole[i], `label ${i % labels} of a kept head`);
      keptValues += whole[i] !== 0 ? 1 : 0;
    } else assert.equal(cut[i], 0, `label ${i % labels} of a head left out`);
  }
  assert.ok(keptValues > 0, 'the kept heads have logits');
}

const opCounts = (graph: Uint8Array) => {
  const model = protobuf.loadSync(path.join(ROOT, 'server', 'src', 'core', 'ner', 'onnx.proto')).lookupType('onnx.ModelProto').decode(graph) as unknown as { graph: { node: { opType: string }[] } };
  const counts: Record<string, number> = {};
  for (const node of model.graph.node) counts[node.opType] = (counts[node.opType] ?? 0) + 1;
  return counts;
};

test('a graph cut to some heads gives their logits unchanged, zeros for the others, and runs only their encoders', async () => {
  const whole = await logitsOf(modelBytes);
  const lstms = opCounts(modelBytes).LSTM;
  for (const names of [['BC5CDR'], ['BC2GM', 'JNLPBA'], ['LINNAEUS', 'AnatEM', 'BC5CDR']]) {
    const keep = names.map(headIndex);
    const cut = pruneToHeads(modelBytes, widths, keep);
    assert.ok(cut, `${names} can be cut`);
    assertKept(await logitsOf(cut), whole, keep);
    // BC5CDR is an ensemble of two models, every other head one model.
    const models = names.reduce((n, name) => n + (name === 'BC5CDR' ? 2 : 1), 0);
    assert.equal(opCounts(cut).LSTM, models, `${names}: ${models} of ${lstms} BiLSTMs`);
    assert.ok(cut.length < modelBytes.length * 0.8, `${names}: ${cut.length} bytes of ${modelBytes.length}`);
  }
});

test('a graph is left whole when every head is kept or when its logits are not a concatenation of the heads', () => {
  assert.equal(pruneToHeads(modelBytes, widths, widths.map((_, h) => h)), undefined);
  // Seven widths for six heads: the Concat does not have one input per head.
  assert.equal(pruneToHeads(modelBytes, [...widths, 3], [0]), undefined);
  // A one-head model's logits come from its linear layer.
  const single = loadModelFolder(TEST_MODEL);
  assert.equal(pruneToHeads(readFileSync(single.onnxPath), [1, single.labels.length - 1], [0]), undefined);
});

test('cut graphs are written once per head set to a temporary folder that dispose removes', () => {
  // What a process killed before its cleanup left behind goes; a running process's folder stays.
  const dead = path.join(tmpdir(), `bioner-graphs-${spawnSync(process.execPath, ['-e', '']).pid}-left`);
  const alive = path.join(tmpdir(), `bioner-graphs-${process.ppid}-kept`);
  for (const dir of [dead, alive]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'heads-0.onnx'), 'x');
  }
  const graphs = new HeadGraphs(folder.onnxPath, widths);
  const bc5cdr = graphs.pathFor([headIndex('BC5CDR')]);
  assert.equal(existsSync(dead), false);
  assert.equal(existsSync(alive), true);
  rmSync(alive, { recursive: true });
  assert.notEqual(bc5cdr, folder.onnxPath);
  assert.ok(readFileSync(bc5cdr).length < modelBytes.length);
  assert.equal(graphs.pathFor([headIndex('BC5CDR'), headIndex('BC5CDR')]), bc5cdr);
  assert.equal(graphs.pathFor(widths.map((_, h) => h).reverse()), folder.onnxPath, 'every head: the model itself');
  assert.equal(graphs.pathFor(undefined), folder.onnxPath);
  graphs.dispose();
  assert.equal(existsSync(bc5cdr), false);
  // A graph that is not a concatenation of heads is run whole, and found so once.
  const single = loadModelFolder(TEST_MODEL);
  const uncut = new HeadGraphs(single.onnxPath, [1, single.labels.length - 1]);
  assert.equal(uncut.pathFor([0]), single.onnxPath);
  assert.equal(uncut.pathFor([1]), single.onnxPath);
});

test('workers run each batch on a graph cut to its heads, and keep doing so after sessions are dropped', async () => {
  const pool = await WorkerPool.start({ onnxPath: folder.onnxPath, device: 'cpu', threads: 1, workers: 1, workerScript: WORKER_SCRIPT, headWidths: widths, heads: [0] });
  try {
    const { inputIds, attentionMask, batch: rows, sequence } = batch();
    const whole = (await pool.run(inputIds, attentionMask, rows, sequence)).logits;
    // Five head sets for a worker that keeps three sessions: the first sets are made again after being dropped.
    for (const keep of [[0], [1], [2, 3], [4, 5], [0], [1]]) {
      assertKept((await pool.run(inputIds, attentionMask, rows, sequence, undefined, keep)).logits, whole, keep);
    }
  } finally {
    await pool.dispose();
  }
});

test('predictions on a cut graph are those of the whole graph, for the default heads and for chosen types', async () => {
  // Sessions are made at load for Chemical's heads; the other type selections get theirs when first asked for.
  const cutting = await NerEngine.load(DEFAULT_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu', usualTypes: new Set(['Chemical']) });
  const whole = await NerEngine.load(DEFAULT_MODEL, {
    workerScript: WORKER_SCRIPT,
    graph: (folder) => WorkerPool.start({ onnxPath: folder.onnxPath, device: 'cpu', threads: 1, workers: 1, workerScript: WORKER_SCRIPT }),
  });
  try {
    for (const types of [undefined, new Set(['Chemical', 'Disease']), new Set(['GENE', 'Species'])]) {
      const [a, b] = [await cutting.predict(SENTENCES, { types }), await whole.predict(SENTENCES, { types })];
      assert.deepEqual(
        a.map((p) => p.spans),
        b.map((p) => p.spans),
        `types ${types ? [...types] : 'all'}`,
      );
      assert.ok(a.some((p) => p.spans.length > 0));
    }
  } finally {
    await Promise.all([cutting.dispose(), whole.dispose()]);
  }
});
