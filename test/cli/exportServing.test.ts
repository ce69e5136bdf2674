/**
 * `bioner export-serving`: the Triton repository's config.pbtxt parsed by Triton's own ModelConfig message
 * (tritonclient's model_config_pb2) and compared with the graph as the onnx package reads it, the exported graph run by
 * onnxruntime under the config's names, and the KServe manifest read strictly into the KServe SDK's
 * V1beta1InferenceService; bad input leaves nothing behind. The references come from PyPI into a venv under build/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { installPeer, isUnreachable, venvPython } from '../../bench/peerVenv';
import { bioner, FIXTURES, ROOT } from '../support/fixtures';
import { SERVING_VENV } from '../support/servingVenv';

const TEST_MODEL = path.join(FIXTURES, 'model');
const BERT = path.join(FIXTURES, 'hf', 'bert');

/** Why the Python references are missing: PyPI could not be reached (any other failed install fails the tests). */
let unreachable: string | undefined;
before(() => {
  const failure = installPeer(SERVING_VENV);
  if (failure && !isUnreachable(failure)) throw new Error(failure);
  if (failure) console.log(failure);
  unreachable = failure && `PyPI is unreachable, so ${SERVING_VENV.name} cannot be installed`;
});

const work = mkdtempSync(path.join(tmpdir(), 'bioner-export-serving-'));
after(() => rmSync(work, { recursive: true, force: true }));
let exports = 0;
/** A fresh folder to export into, alone in a fresh parent, so that a stray temporary sibling would show. */
const freshOut = () => path.join(mkdtempSync(path.join(work, `${++exports}-`)), 'serving');

/** Runs a checker script in the venv: its JSON output, or its exit status and message. */
function check(script: string, ...args: string[]): { status: number | null; json?: Record<string, any>; stderr: string } {
  const run = spawnSync(venvPython(SERVING_VENV), [path.join(ROOT, 'test', 'support', script), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, json: run.status === 0 ? JSON.parse(run.stdout) : undefined, stderr: run.stderr };
}

/** Triton's name of each ONNX element type that the graphs here use. */
const TRITON_TYPE: Record<string, string> = { INT64: 'TYPE_INT64', FLOAT: 'TYPE_FP32' };
const labelCount = (modelDir: string) => Object.keys(JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')).id2label).length;

interface Case {
  title: string;
  model: string;
  args: string[];
  name: string;
  graph: string;
  maxBatch: number;
  instances: number;
  gpu: boolean;
}

const CASES: Case[] = [
  { title: 'the test model, defaults', model: TEST_MODEL, args: [], name: 'model', graph: 'model.onnx', maxBatch: 64, instances: 1, gpu: false },
  {
    title: 'a BERT with token_type_ids, on GPUs',
    model: BERT,
    args: ['--gpu', '--instances', '2', '--max-batch', '8'],
    name: 'bert',
    graph: 'model.onnx',
    maxBatch: 8,
    instances: 2,
    gpu: true,
  },
  { title: 'the int8 graph, named', model: TEST_MODEL, args: ['--quantized', '--name', 'bc5cdr-int8'], name: 'bc5cdr-int8', graph: 'model_quantized.onnx', maxBatch: 64, instances: 1, gpu: false },
];

/** Each case exported once, into a fresh folder; the tests below read it. */
const exported = new Map<Case, string>();
function exportCase(c: Case): string {
  if (!exported.has(c)) {
    const out = freshOut();
    const run = bioner('export-serving', c.model, '--out', out, ...c.args);
    assert.equal(run.status, 0, run.stderr);
    exported.set(c, out);
  }
  return exported.get(c)!;
}

for (const c of CASES) {
  test(`export-serving ${c.title}: the repository, the manifest and the README, with the model folder's graph`, () => {
    const out = exportCase(c);
    assert.deepEqual(readdirSync(path.dirname(out)), ['serving'], 'no temporary sibling left');
    assert.deepEqual(readdirSync(out, { recursive: true }).sort(), ['README.md', 'inferenceservice.yaml', c.name, `${c.name}/1`, `${c.name}/1/model.onnx`, `${c.name}/config.pbtxt`].sort());
    assert.ok(readFileSync(path.join(out, c.name, '1', 'model.onnx')).equals(readFileSync(path.join(c.model, 'onnx', c.graph))), `the served graph is onnx/${c.graph}`);
    assert.match(readFileSync(path.join(out, 'README.md'), 'utf8'), new RegExp(`tritonserver --model-repository[^]*kubectl apply -f inferenceservice\\.yaml[^]*/v2/models/${c.name}/infer`));
  });

  test(`export-serving ${c.title}: Triton's model_config.proto parses the config, which declares the graph's tensors; onnxruntime runs the graph by those names`, async (t) => {
    if (unreachable) return t.skip(unreachable);
    const out = exportCase(c);
    const served = path.join(out, c.name, '1', 'model.onnx');
    await runByConfigNames(served, c, checkTriton(path.join(out, c.name, 'config.pbtxt'), served, c));
  });

  test(`export-serving ${c.title}: the KServe manifest reads strictly as the SDK's V1beta1InferenceService`, (t) => {
    if (unreachable) return t.skip(unreachable);
    const result = check('kserve_manifest_check.py', path.join(exportCase(c), 'inferenceservice.yaml'));
    assert.equal(result.status, 0, result.stderr);
    const service = result.json!;
    assert.equal(service.metadata.name, c.name, 'the InferenceService is named as the Triton model, so both serve /v2/models/NAME');
    const model = service.spec.predictor.model;
    assert.deepEqual(model.modelFormat, { name: 'triton' });
    assert.equal(model.protocolVersion, 'v2');
    assert.equal(model.storageUri, 'pvc://bioner-models/serving');
    const resources = { cpu: String(c.instances), memory: `${2 * c.instances}Gi`, ...(c.gpu ? { 'nvidia.com/gpu': '1' } : {}) };
    assert.deepEqual(model.resources, { requests: resources, limits: resources });
  });
}

/** The config as Triton's ModelConfig parses it, checked against the graph as the onnx package reads it; its tensor names. */
function checkTriton(config: string, graph: string, c: Case): { inputs: string[]; output: string } {
  const result = check('triton_config_check.py', config, graph);
  assert.equal(result.status, 0, result.stderr);
  const { config: parsed, graph: onnxGraph } = result.json!;
  assert.equal(parsed.name, c.name, "Triton's model name is its folder's");
  assert.equal(parsed.platform, 'onnxruntime_onnx');
  assert.equal(parsed.max_batch_size, c.maxBatch);
  assert.deepEqual(parsed.instance_group, [{ kind: c.gpu ? 'KIND_GPU' : 'KIND_CPU', count: c.instances }]);
  assert.ok(parsed.dynamic_batching, 'dynamic batching is on');
  // With max_batch_size > 0 Triton adds the batch dimension itself: the config declares the others.
  const declared = (tensors: { name: string; data_type: string; dims: string[] }[]) => tensors.map((x) => ({ name: x.name, type: x.data_type, dims: x.dims.map(Number) }));
  const fromGraph = (tensors: { name: string; type: string; dims: number[] }[]) =>
    tensors.map((x) => {
      assert.equal(x.dims[0], -1, `${x.name}: the graph's batch dimension is free`);
      return { name: x.name, type: TRITON_TYPE[x.type], dims: x.dims.slice(1) };
    });
  assert.deepEqual(declared(parsed.input), fromGraph(onnxGraph.inputs));
  const labels = labelCount(c.model);
  const logits = onnxGraph.outputs.find((o: { name: string }) => o.name === 'logits');
  assert.ok(logits && [labels, -1].includes(logits.dims[2]), "the graph's logits are [batch, sequence, labels]");
  assert.deepEqual(declared(parsed.output), [{ name: 'logits', type: 'TYPE_FP32', dims: [-1, labels] }]);
  return { inputs: parsed.input.map((x: { name: string }) => x.name), output: parsed.output[0].name };
}

/** A batch of 2 sequences of 5 fed under the config's input names gives float logits [2, 5, labels] under its output's. */
async function runByConfigNames(graph: string, c: Case, names: { inputs: string[]; output: string }): Promise<void> {
  const session = await ort.InferenceSession.create(graph);
  try {
    const feeds = Object.fromEntries(names.inputs.map((name) => [name, new ort.Tensor('int64', BigInt64Array.from({ length: 10 }, (_, i) => BigInt(name === 'input_ids' ? 2 + i : name === 'attention_mask' ? 1 : 0)), [2, 5])]));
    const output = (await session.run(feeds))[names.output];
    assert.ok(output, `the graph gives '${names.output}'`);
    assert.equal(output.type, 'float32');
    assert.deepEqual(output.dims, [2, 5, labelCount(c.model)]);
  } finally {
    await session.release();
  }
}

test("the checkers are strict: Triton's proto rejects an unknown field, the KServe schema a misspelt one", (t) => {
  if (unreachable) return t.skip(unreachable);
  const out = freshOut();
  assert.equal(bioner('export-serving', TEST_MODEL, '--out', out).status, 0);
  const config = path.join(out, 'model', 'config.pbtxt');
  writeFileSync(config, readFileSync(config, 'utf8').replace('max_batch_size', 'max_batch'));
  const triton = check('triton_config_check.py', config, path.join(out, 'model', '1', 'model.onnx'));
  assert.equal(triton.status, 1);
  assert.match(triton.stderr, /config\.pbtxt:\d+:\d+ : Message type "inference\.ModelConfig" has no field named "max_batch"/);
  const manifest = path.join(out, 'inferenceservice.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^( +)storageUri:/m, '$1storageURI:').replace(/modelFormat:\n +name: triton/, 'modelFormat: triton'));
  const kserve = check('kserve_manifest_check.py', manifest);
  assert.equal(kserve.status, 1);
  assert.match(kserve.stderr, /\$\.spec\.predictor\.model\.storageURI: V1beta1ModelSpec has no field 'storageURI'/);
  assert.match(kserve.stderr, /\$\.spec\.predictor\.model\.modelFormat: expected an object \(V1beta1ModelFormat\), got 'triton'/);
});

/** A model folder with config and tokenizer but no graph. */
const noGraph = path.join(work, 'no-graph');
mkdirSync(noGraph);
for (const file of ['config.json', 'tokenizer.json']) cpSync(path.join(TEST_MODEL, file), path.join(noGraph, file));
/** The same with a truncated graph. */
const brokenGraph = path.join(work, 'broken-graph');
cpSync(noGraph, brokenGraph, { recursive: true });
mkdirSync(path.join(brokenGraph, 'onnx'));
writeFileSync(path.join(brokenGraph, 'onnx', 'model.onnx'), readFileSync(path.join(TEST_MODEL, 'onnx', 'model.onnx')).subarray(0, 5000));

const BAD_INPUT: [string, (out: string) => string[], RegExp][] = [
  ['a missing model folder', (out) => [path.join(work, 'absent'), '--out', out], /absent is not a usable model folder:\n- the folder does not exist/],
  ['a folder without onnx/model.onnx', (out) => [noGraph, '--out', out], /no-graph is not a usable model folder:\n- onnx\/model\.onnx is missing/],
  ['a truncated graph', (out) => [brokenGraph, '--out', out], /cannot read the graph \S+broken-graph\/onnx\/model\.onnx: /],
  ['--max-batch 0', (out) => [TEST_MODEL, '--out', out, '--max-batch', '0'], /--max-batch takes a positive integer, not '0'/],
  ['--instances two', (out) => [TEST_MODEL, '--out', out, '--instances', 'two'], /--instances takes a positive integer, not 'two'/],
  ['--quantized without an int8 graph', (out) => [BERT, '--out', out, '--quantized'], /bert has no onnx\/model_quantized\.onnx to export with --quantized/],
  ['a name KServe refuses', (out) => [TEST_MODEL, '--out', out, '--name', 'BC5CDR_v2'], /--name: 'BC5CDR_v2' is not a valid serving name/],
  ['no --out', () => [TEST_MODEL], /export-serving needs MODEL_DIR --out DIR/],
  ['--out holding the model folder', () => [TEST_MODEL, '--out', FIXTURES, '--force'], /--out .*fixtures holds the model folder/],
];

for (const [title, args, message] of BAD_INPUT) {
  test(`export-serving with ${title}: exit 2, a located message, nothing written`, () => {
    const out = freshOut();
    const run = bioner('export-serving', ...args(out));
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    assert.deepEqual(readdirSync(path.dirname(out)), [], 'nothing written, no temporary sibling');
  });
}

test('export-serving refuses a folder that holds something unless --force, which replaces it whole; an empty one is used', () => {
  const out = freshOut();
  mkdirSync(out);
  writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const refused = bioner('export-serving', TEST_MODEL, '--out', out);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /serving is not empty; pass --force to replace it/);
  assert.deepEqual(readdirSync(out), ['notes.txt']);
  const forced = bioner('export-serving', TEST_MODEL, '--out', out, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['README.md', 'inferenceservice.yaml', 'model']);
  assert.deepEqual(readdirSync(path.dirname(out)), ['serving'], 'the old folder and the temporary one are gone');
  rmSync(out, { recursive: true });
  mkdirSync(out);
  assert.equal(bioner('export-serving', TEST_MODEL, '--out', out).status, 0);
  assert.deepEqual(readdirSync(out).sort(), ['README.md', 'inferenceservice.yaml', 'model']);
});

test('export-serving on a full disk: exit 2, a clear message, no folder and no temporary one left', (t) => {
  // A 64 KiB file system: the graph (1.4 MB) does not fit, so the copy fails halfway.
  const full = path.join(work, 'full');
  mkdirSync(full);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { encoding: 'utf8' });
  if (mount.status !== 0) return t.skip(`mounting a 64 KiB tmpfs is not permitted here (${(mount.stderr || mount.error?.message || '').trim()}): it needs root`);
  try {
    const run = bioner('export-serving', TEST_MODEL, '--out', path.join(full, 'serving'));
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^bioner: cannot write \S+serving: no space left on device \(ENOSPC\); \S+serving was not created$/m);
    assert.deepEqual(readdirSync(full), []);
  } finally {
    spawnSync('umount', [full]);
  }
});
