/** Model faults: truncated and mismatched model files fail at load with a clear reason; dying workers are replaced. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NerEngine } from '../../server/src/core/ner/engine';
import { readSentences, wordsOf } from '../../server/src/core/conll/corpus';
import { DEFAULT_SETTINGS } from '@common/settings';
import { EXCERPTS, FIXTURES, TEST_MODEL, WORKER_SCRIPT } from '../support/fixtures';

const TIMEOUT = { timeout: 120_000 };
const CRASHING_WORKER = path.join(FIXTURES, 'workers', 'crashing.cjs');
const scratch = mkdtempSync(path.join(tmpdir(), 'bioner-model-faults-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the test model, changed by `spoil`. */
function spoiltModel(name: string, spoil: (dir: string) => void): string {
  const dir = path.join(scratch, name);
  cpSync(TEST_MODEL, dir, { recursive: true });
  spoil(dir);
  return dir;
}

const halve = (file: string) => truncateSync(file, Math.floor(statSync(file).size / 2));
const editJson = (file: string, edit: (json: Record<string, any>) => void) => {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  edit(json);
  writeFileSync(file, JSON.stringify(json));
};

const load = (dir: string) => NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu' });

for (const [file, reason] of [
  ['config.json', /config\.json is not valid JSON/],
  ['tokenizer.json', /tokenizer\.json is not valid JSON/],
  [path.join('onnx', 'model.onnx'), /cannot load .*model\.onnx: .*(protobuf|parse|Load model)/i],
] as const) {
  test(`a truncated ${file} is rejected at load, naming it`, TIMEOUT, async () => {
    const dir = spoiltModel(`truncated-${path.basename(file)}`, (d) => halve(path.join(d, file)));
    await assert.rejects(load(dir), reason);
  });
}

test('a tokenizer with more pieces than the graph embeds is rejected at load, not on some later word', TIMEOUT, async () => {
  const dir = spoiltModel('bigger-vocabulary', (d) =>
    editJson(path.join(d, 'tokenizer.json'), (json) => {
      const size = Object.keys(json.model.vocab).length;
      for (let i = 0; i < 50_000; i++) json.model.vocab[`extra${i}`] = size + i;
    }),
  );
  await assert.rejects(load(dir), /rejects token id 54999, the largest in tokenizer\.json/);
});

for (const change of [+1, -1]) {
  test(`an id2label with ${change > 0 ? 'one label more' : 'one label fewer'} than the logits is rejected at load`, TIMEOUT, async () => {
    let labels = 0;
    const dir = spoiltModel(`id2label${change}`, (d) =>
      editJson(path.join(d, 'config.json'), (json) => {
        const names = Object.values(json.id2label as Record<string, string>);
        labels = names.length;
        const kept = change > 0 ? [...names, 'B-Extra'] : names.slice(0, -1);
        json.id2label = Object.fromEntries(kept.map((label, id) => [id, label]));
        json.label2id = Object.fromEntries(kept.map((label, id) => [label, id]));
        // A CRF sized for the old labels would be rejected first, for another reason.
        delete json.bioner?.crf;
      }),
    );
    await assert.rejects(load(dir), new RegExp(`id2label has ${labels + change} labels but the graph's logits have ${labels}`));
  });
}

/** Real sentences: enough batches that some run on replaced workers. */
const sentences = async () => (await readSentences(EXCERPTS[0], DEFAULT_SETTINGS)).map(wordsOf);

test('a worker that dies mid-inference is replaced and its batch re-run: every answer comes, equal to a healthy run', TIMEOUT, async () => {
  const words = await sentences();
  const healthy = await load(TEST_MODEL);
  const expected = await healthy.predict(words);
  await healthy.dispose();

  process.env.BIONER_TEST_CRASH_EVERY = '3';
  process.env.BIONER_TEST_CRASH_MARKS = mkdtempSync(path.join(tmpdir(), 'bioner-crashes-'));
  const exits: string[] = [];
  const engine = await NerEngine.load(TEST_MODEL, { workerScript: CRASHING_WORKER, device: 'cpu', workers: 2, onWorkerExit: (m) => exits.push(m) });
  try {
    const predictions = await engine.predict(words);
    assert.deepEqual(predictions.map((p) => p.labels), expected.map((p) => p.labels));
    assert.ok(exits.length >= 1 && exits.every((m) => /exited with code 70; restarting it in \d+ ms/.test(m)), exits.join('\n'));
  } finally {
    await engine.dispose();
    rmSync(process.env.BIONER_TEST_CRASH_MARKS!, { recursive: true });
    delete process.env.BIONER_TEST_CRASH_EVERY;
    delete process.env.BIONER_TEST_CRASH_MARKS;
  }
});

test('workers that die on every batch end in a clear error, not a hang', TIMEOUT, async () => {
  process.env.BIONER_TEST_CRASH_EVERY = '1';
  // The load's own probe batch kills the first worker; the load fails with the reason.
  await assert.rejects(
    NerEngine.load(TEST_MODEL, { workerScript: CRASHING_WORKER, device: 'cpu' }),
    /inference failed: the workers running this batch exited 2 times \(last code 70\)/,
  );
  delete process.env.BIONER_TEST_CRASH_EVERY;
});
