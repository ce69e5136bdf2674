/**
 * How much a sentence's labels depend on the sentences batched with it: every sentence labelled in the engine's
 * batches, then each alone (a fresh engine, so that no cached prediction answers), on the data file's types.
 * The float graph gives none; onnxruntime's int8 LSTMs quantize activations with each batch's range.
 *   batchDependence.ts [--model DIR] [--data FILE.tsv] [--limit N] [--quantized]
 */
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '@common/settings';
import { parseArgs } from '../server/src/cli/args';
import { readSentences, wordsOf } from '../server/src/core/conll/corpus';
import { tagOf } from '../server/src/core/conll/reader';
import { NerEngine } from '../server/src/core/ner/engine';

const ROOT = path.resolve(__dirname, '..');
const WORKER = path.join(ROOT, 'dist', 'nerWorker.js');
const { values, flags } = parseArgs(process.argv.slice(2), { values: ['model', 'data', 'limit'], flags: ['quantized'] });
const model = values.model ?? path.join(ROOT, 'models', 'default');
const data = values.data ?? path.resolve(ROOT, '..', 'shared', 'data', 'BC5CDR', 'test.tsv');

async function main(): Promise<void> {
  const corpus = (await readSentences(data, DEFAULT_SETTINGS)).slice(0, Number(values.limit ?? 1500));
  const sentences = corpus.map(wordsOf);
  const types = new Set(corpus.flat().map(tagOf).flatMap((tag) => (tag?.type ? [tag.type] : [])));
  const load = () => NerEngine.load(model, { workerScript: WORKER, preferQuantized: flags.has('quantized') });
  const batched = await load();
  const together = await batched.predict(sentences, { types });
  await batched.dispose();
  const single = await load();
  let words = 0;
  let differ = 0;
  let sentencesDiffering = 0;
  for (const [s, sentence] of sentences.entries()) {
    const [alone] = await single.predict([sentence], { types });
    const changed = together[s].labels.filter((label, w) => label !== alone.labels[w]).length;
    words += sentence.length;
    differ += changed;
    if (changed > 0) sentencesDiffering++;
  }
  await single.dispose();
  console.log(JSON.stringify({ model: path.relative(ROOT, model), graph: flags.has('quantized') ? 'int8' : 'float', types: [...types], sentences: sentences.length, words, wordsDiffering: differ, sentencesDiffering }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
