/**
 * Exported Hugging Face token classifiers load unchanged: BERT/PubMedBERT, ELECTRA, DeBERTa-v3 and RoBERTa folders
 * as Optimum writes them (test/fixtures/hf, made by training/make_hf_fixtures.py: tiny random weights, tokenizers
 * trained on the corpus excerpts), with and without a token_type_ids input. The engine's argmax label of every
 * word must be transformers.js's label at that word's first sub-word.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { NerEngine } from '../../server/src/core/ner/engine';
import { loadModelFolder } from '../../server/src/core/ner/modelFolder';
import { bestWindowPerWord, SubwordEncoder } from '../../server/src/core/ner/subwords';
import { validateSequence } from '../../server/src/core/conll/sequence';
import { parseTag, type Tag } from '../../server/src/core/conll/tags';
import { EXCERPTS, FIXTURES, WORKER_SCRIPT } from '../support/fixtures';
import { peerWordLabels, type PeerRun } from '../support/peer';

const HF = path.join(FIXTURES, 'hf');
const LABELS = ['O', 'B-Chemical', 'I-Chemical', 'B-Disease', 'I-Disease'];

/**
 * The roberta fixture with add_prefix_space on, as RoBERTa token classifiers trained on pre-split words save their
 * tokenizer (every word, the first too, starts with `Ġ`): made here from the shipped one.
 */
const TMP = mkdtempSync(path.join(tmpdir(), 'bioner-hf-'));
const ROBERTA_PREFIX = path.join(TMP, 'roberta-prefix');
cpSync(path.join(HF, 'roberta'), ROBERTA_PREFIX, { recursive: true });
for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
  const json = JSON.parse(readFileSync(path.join(ROBERTA_PREFIX, file), 'utf8'));
  if (file === 'tokenizer.json') json.pre_tokenizer.add_prefix_space = json.post_processor.add_prefix_space = true;
  else json.add_prefix_space = true;
  writeFileSync(path.join(ROBERTA_PREFIX, file), JSON.stringify(json, null, 2));
}
after(() => rmSync(TMP, { recursive: true, force: true }));

const CASES = [
  { name: 'bert', modelType: 'bert', maxLength: 512, inputs: ['input_ids', 'attention_mask', 'token_type_ids'] },
  { name: 'electra', modelType: 'electra', maxLength: 64, inputs: ['input_ids', 'attention_mask'] },
  { name: 'deberta-v3', modelType: 'deberta-v2', maxLength: 512, inputs: ['input_ids', 'attention_mask'] },
  { name: 'roberta', modelType: 'roberta', maxLength: 512, inputs: ['input_ids', 'attention_mask'] },
  { name: 'roberta-prefix', dir: ROBERTA_PREFIX, modelType: 'roberta', maxLength: 512, inputs: ['input_ids', 'attention_mask'] },
];

/** The words of every sentence of the shipped corpus excerpts (first column, -DOCSTART- left out). */
function corpusSentences(): string[][] {
  const sentences: string[][] = [];
  for (const file of EXCERPTS) {
    let words: string[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') {
        if (words.length > 0) sentences.push(words);
        words = [];
      } else {
        const word = line.split('\t')[0];
        if (word !== '-DOCSTART-') words.push(word);
      }
    }
    if (words.length > 0) sentences.push(words);
  }
  return sentences;
}

const SENTENCES = corpusSentences();
/** Corpus sentences run together into one of more than 600 words: several windows for every fixture. */
const LONG = SENTENCES.slice(0, 40).flat().slice(0, 640);
const tags = (labels: string[]) => labels.map((l) => (parseTag(l) as { tag: Tag }).tag);

for (const spec of CASES) {
  describe(`HF ${spec.name} export`, () => {
    const dir = spec.dir ?? path.join(HF, spec.name);
    let argmax: NerEngine;
    let peer: PeerRun;

    before(async () => {
      argmax = await NerEngine.load(dir, { decoding: 'argmax', workerScript: WORKER_SCRIPT, device: 'cpu' });
      peer = await peerWordLabels(dir, SENTENCES, { ids: true });
    });
    after(async () => {
      await argmax?.dispose();
    });

    test('the folder loads with its labels, model type and maximum length', async () => {
      const folder = loadModelFolder(dir);
      assert.deepEqual(folder.labels, LABELS);
      assert.equal(folder.modelType, spec.modelType);
      assert.equal(folder.maxLength, spec.maxLength);
      assert.equal(folder.heads.length, 1);
      assert.equal(folder.heads[0].crf, undefined);
      // The graph declares what the exporter gave it: with or without token_type_ids.
      const session = await ort.InferenceSession.create(folder.onnxPath);
      try {
        assert.deepEqual([...session.inputNames], spec.inputs);
        assert.deepEqual([...session.outputNames], ['logits']);
      } finally {
        await session.release();
      }
    });

    test('the engine labels every word of the corpus excerpts and of a sentence longer than the maximum', async () => {
      const encoder = new SubwordEncoder(argmax.folder);
      assert.ok(encoder.windows(LONG).length > 1, 'the long sentence must need several windows');
      if (spec.maxLength < 128) assert.ok(SENTENCES.some((s) => encoder.windows(s).length > 1), 'some corpus sentences must be windowed');
      const predictions = await argmax.predict([...SENTENCES, LONG]);
      predictions.forEach((p, i) => {
        const words = i < SENTENCES.length ? SENTENCES[i] : LONG;
        assert.equal(p.labels.length, words.length);
        assert.ok(p.labels.every((l) => LABELS.includes(l)), `sentence ${i}: ${p.labels}`);
      });
    });

    test('argmax labels equal transformers.js pipeline labels at each first sub-word', async () => {
      const predictions = await argmax.predict(SENTENCES);
      let compared = 0;
      const mismatches: string[] = [];
      SENTENCES.forEach((words, s) => {
        const engineIds = peer.engineIds[s];
        if (!engineIds) return; // longer than one window: the pipeline truncates it
        // The engine's word-by-word encoding is transformers.js's encoding of the joined sentence.
        assert.deepEqual(engineIds, peer.ids![s], `sentence ${s} is tokenized differently: ${words.join(' ')}`);
        words.forEach((word, w) => {
          const other = peer.labels[s][w];
          assert.notEqual(other, null, `sentence ${s} word ${w} '${word}' has no pipeline label`);
          compared += 1;
          if (predictions[s].labels[w] !== other) mismatches.push(`sentence ${s} word ${w} '${word}': engine ${predictions[s].labels[w]}, pipeline ${other}`);
        });
      });
      assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${compared} words differ`);
      const single = peer.engineIds.filter((ids) => ids !== null).length;
      assert.ok(single >= 0.8 * SENTENCES.length, `only ${single} of ${SENTENCES.length} sentences fit in one window`);
    });

    test('windowed sentences take each word from its most central window, as the pipeline labels that window', async () => {
      const encoder = new SubwordEncoder(argmax.folder);
      const windowed = [...SENTENCES, LONG].filter((words) => encoder.windows(words).length > 1);
      const predictions = await argmax.predict(windowed);
      // Each window's words as a sentence of their own, for the pipeline. With byte-level BPE a window's first word
      // keeps the space mark it has inside the sentence: a leading space gives the pipeline the same.
      const byteLevel = JSON.stringify((argmax.folder.tokenizerJson as { pre_tokenizer?: unknown }).pre_tokenizer).includes('ByteLevel');
      const parts = windowed.flatMap((words, s) =>
        encoder.windows(words).map((window, w) => {
          const own = words.slice(window.wordStart, window.wordEnd);
          if (byteLevel && window.wordStart > 0) own[0] = ` ${own[0]}`;
          return { s, w, window, words: own };
        }),
      );
      const run = await peerWordLabels(dir, parts.map((p) => p.words), { ids: true });
      let compared = 0;
      const mismatches: string[] = [];
      windowed.forEach((words, s) => {
        const best = bestWindowPerWord(encoder.windows(words), words.length);
        words.forEach((word, i) => {
          const k = parts.findIndex((p) => p.s === s && p.w === best[i]);
          const part = parts[k];
          assert.deepEqual(part.window.ids, run.ids![k], `window ${part.w} of windowed sentence ${s} is tokenized differently`);
          compared += 1;
          const other = run.labels[k][i - part.window.wordStart];
          if (predictions[s].labels[i] !== other) mismatches.push(`windowed sentence ${s} word ${i} '${word}': engine ${predictions[s].labels[i]}, pipeline ${other}`);
        });
      });
      assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${compared} words differ`);
      assert.ok(compared > 0);
    });

    test('constrained decoding gives valid IOB2 everywhere', async () => {
      const engine = await NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu' });
      try {
        const predictions = await engine.predict([...SENTENCES, LONG]);
        predictions.forEach((p, i) => {
          assert.equal(p.labels.length, i < SENTENCES.length ? SENTENCES[i].length : LONG.length);
          assert.deepEqual(validateSequence(tags(p.labels), 'IOB2'), [], `sentence ${i}: ${p.labels.join(' ')}`);
          for (const span of p.spans) assert.ok(span.confidence > 0 && span.confidence <= 1);
        });
        // Random weights predict entities: the decoding had something to constrain.
        assert.ok(predictions.some((p) => p.spans.length > 0));
      } finally {
        await engine.dispose();
      }
    });
  });
}

/**
 * RoBERTa-family position ids start after the padding id (pad_token_id + 1 = 2), so a graph with
 * max_position_embeddings 514 takes 512 sub-words. When tokenizer_config.json has no usable model_max_length
 * (transformers writes 1000000000000000019884624838656 when it knows none), loadModelFolder falls back to
 * max_position_embeddings (514) and windows of 513-514 sub-words fail in the position-embedding Gather.
 */
test('a RoBERTa folder without a usable model_max_length still takes sentences over 512 sub-words', async () => {
  const dir = path.join(TMP, 'roberta-no-max');
  cpSync(path.join(HF, 'roberta'), dir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  config.model_max_length = 1000000000000000019884624838656;
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  const engine = await NerEngine.load(dir, { workerScript: WORKER_SCRIPT, device: 'cpu' });
  try {
    const [prediction] = await engine.predict([LONG]); // today: "indices element out of data bounds, idx=514"
    assert.equal(prediction.labels.length, LONG.length);
  } finally {
    await engine.dispose();
  }
});
