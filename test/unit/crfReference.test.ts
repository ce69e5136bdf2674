/** The TypeScript Viterbi and forward-backward against independent references: brute force, and the trainer's CRF. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { decode, marginalRow, TransitionMask, type Crf, type Decoded } from '../../server/src/core/ner/viterbi';
import { NerEngine, type SentencePrediction } from '../../server/src/core/ner/engine';
import { readSentences, wordsOf } from '../../server/src/core/conll/corpus';
import { validateSequence } from '../../server/src/core/conll/sequence';
import { parseTag, type Scheme, type Tag } from '../../server/src/core/conll/tags';
import { DEFAULT_SETTINGS } from '@common/settings';
import { EXCERPTS, ROOT, TEST_MODEL, WORKER_SCRIPT } from '../support/fixtures';
import { random } from '../support/plant';

const toTags = (labels: readonly string[]) => labels.map((l) => (parseTag(l) as { tag: Tag }).tag);

function logSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const log = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return row.map((v) => v - log);
}

/**
 * Every label sequence of the sentence, scored one by one: the best valid one and each label's marginal. Validity
 * comes from validateSequence (the diagnostics' rules), not from TransitionMask, so the mask is checked too.
 */
function bruteForce(scores: number[][], labels: readonly string[], scheme: Scheme, crf?: Crf): { path: number[]; marginals: number[][] } {
  const n = scores.length;
  const L = labels.length;
  const tags = toTags(labels);
  const emissions = crf ? scores : scores.map(logSoftmax);
  const paths: { path: number[]; score: number }[] = [];
  for (let code = 0; code < L ** n; code++) {
    const path = Array.from({ length: n }, (_, t) => Math.floor(code / L ** t) % L);
    if (validateSequence(path.map((id) => tags[id]), scheme).length > 0) continue;
    let score = crf ? crf.start[path[0]] + crf.end[path[n - 1]] : 0;
    path.forEach((id, t) => (score += emissions[t][id] + (crf && t > 0 ? crf.transitions[path[t - 1]][id] : 0)));
    paths.push({ path, score });
  }
  const top = paths.reduce((a, b) => (b.score > a.score ? b : a));
  const marginals = scores.map(() => new Array<number>(L).fill(0));
  let total = 0;
  for (const { path, score } of paths) {
    const weight = Math.exp(score - top.score);
    total += weight;
    path.forEach((id, t) => (marginals[t][id] += weight));
  }
  return { path: top.path, marginals: marginals.map((row) => row.map((m) => m / total)) };
}

function maxDifference(got: Decoded, want: number[][]): number {
  let worst = 0;
  want.forEach((row, t) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - marginalRow(got, t)[j])))));
  return worst;
}

const LABEL_SETS: { labels: string[]; scheme: Scheme; maxWords: number }[] = [
  { labels: ['O', 'B-Chemical', 'I-Chemical', 'B-Disease', 'I-Disease'], scheme: 'IOB2', maxWords: 5 },
  { labels: ['O', 'B-A', 'I-A', 'B-B', 'I-B', 'B-C', 'I-C'], scheme: 'IOB2', maxWords: 5 },
  { labels: ['O', 'B-X', 'I-X', 'E-X', 'S-X'], scheme: 'IOBES', maxWords: 5 },
  { labels: ['O', 'B-X', 'I-X', 'L-X', 'U-X', 'B-Y', 'I-Y', 'L-Y', 'U-Y'], scheme: 'BILOU', maxWords: 4 },
];

test('Viterbi paths and marginals equal a brute-force enumeration of every valid sequence, with and without a CRF', () => {
  const rand = random(9);
  const uniform = (scale: number) => (rand() - 0.5) * 2 * scale;
  for (const { labels, scheme, maxWords } of LABEL_SETS) {
    const mask = new TransitionMask(labels);
    const L = labels.length;
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + (trial % maxWords);
      const scores = Array.from({ length: n }, () => labels.map(() => uniform(5)));
      const crf: Crf = {
        transitions: labels.map(() => labels.map(() => uniform(3))),
        start: labels.map(() => uniform(3)),
        end: labels.map(() => uniform(3)),
      };
      for (const withCrf of [undefined, crf]) {
        const where = `${scheme} ${L} labels, trial ${trial}, ${n} words, ${withCrf ? 'CRF' : 'no CRF'}`;
        const got = decode(scores, mask, withCrf);
        const want = bruteForce(scores, labels, scheme, withCrf);
        assert.deepEqual(got.labels, want.path, where);
        assert.ok(maxDifference(got, want.marginals) < 1e-9, `${where}: marginals differ by ${maxDifference(got, want.marginals)}`);
      }
    }
  }
});

const PYTHON = '/usr/bin/python3';
const REFERENCE = path.join(ROOT, 'test', 'training', 'crf_reference.py');

interface Reference {
  labels: string[];
  sentences: { emissions: number[][]; path: number[]; marginals: number[][]; windows: number }[];
}

let engine: NerEngine;
let sentences: string[][];
let reference: Reference;
before(async () => {
  engine = await NerEngine.load(TEST_MODEL, { workerScript: WORKER_SCRIPT, device: 'cpu' });
  const corpus = (await readSentences(EXCERPTS[0], DEFAULT_SETTINGS)).map(wordsOf).slice(0, 40);
  // A sentence longer than the model's maximum: both sides cut it into windows and take each word's scores from one.
  sentences = [...corpus, corpus.slice(0, 12).flat()];
  const run = spawnSync(PYTHON, [REFERENCE], {
    input: JSON.stringify({ model: engine.folder.dir, onnx: engine.folder.onnxPath, sentences }),
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 2 ** 20,
  });
  assert.equal(run.status, 0, `${REFERENCE} failed: ${run.error ?? run.stderr}`);
  reference = JSON.parse(run.stdout);
  assert.ok(reference.sentences.at(-1)!.windows > 1, 'the long sentence needs several windows');
});
after(async () => {
  await engine?.dispose();
});

/** The engine's labels and span confidences against the trainer's path and marginals. */
function compareEngine(prediction: SentencePrediction, want: Reference['sentences'][number], where: string): void {
  assert.deepEqual(prediction.labels, want.path.map((id) => reference.labels[id]), where);
  for (const span of prediction.spans) {
    const confidence = Math.min(...want.marginals.slice(span.start, span.end).map((row, k) => row[want.path[span.start + k]]));
    assert.ok(Math.abs(span.confidence - confidence) < 1e-4, `${where}, span ${span.start}-${span.end}: confidence ${span.confidence} vs ${confidence}`);
  }
}

test("on the test model's real scores the decoder gives the trainer's Viterbi path and CRF marginals", () => {
  const { labels, heads } = engine.folder;
  assert.deepEqual(reference.labels, labels);
  const crf = heads[0].crf!;
  // Like with like: the trainer's CRF forbids (NEG = -10000) exactly what the mask removes, and has no end constraint.
  const mask = new TransitionMask(labels);
  labels.forEach((_, i) => {
    assert.equal(mask.canStart[i], crf.start[i] > -1000, `start ${labels[i]}`);
    assert.equal(mask.canEnd[i], true);
    labels.forEach((_, j) => assert.equal(mask.allowed[i][j], crf.transitions[i][j] > -1000, `${labels[i]} → ${labels[j]}`));
  });
  let entities = 0;
  reference.sentences.forEach((want, s) => {
    const got = decode(want.emissions, mask, crf);
    assert.deepEqual(got.labels, want.path, `sentence ${s}`);
    assert.ok(maxDifference(got, want.marginals) < 1e-6, `sentence ${s}: marginals differ by ${maxDifference(got, want.marginals)}`);
    entities += got.labels.filter((id) => labels[id].startsWith('B-')).length;
  });
  assert.ok(entities >= 10, `only ${entities} entities decoded: the comparison needs real decisions`);
});

test("the engine's own scores (onnxruntime-node, its sub-word encoding) give the trainer's labels and confidences", async () => {
  const short = sentences.map((_, s) => s).filter((s) => reference.sentences[s].windows === 1);
  const predictions = await engine.predict(short.map((s) => sentences[s]));
  predictions.forEach((prediction, k) => compareEngine(prediction, reference.sentences[short[k]], `sentence ${short[k]}`));
  assert.ok(predictions.reduce((n, p) => n + p.spans.length, 0) >= 10);
});

test("on a sentence longer than the model's maximum the engine takes each word's scores from the trainer's window", async () => {
  const [prediction] = await engine.predict([sentences.at(-1)!]);
  assert.deepEqual(validateSequence(toTags(prediction.labels), 'IOB2'), []);
  compareEngine(prediction, reference.sentences.at(-1)!, 'the long sentence');
});
