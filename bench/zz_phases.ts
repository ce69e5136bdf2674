import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../server/src/core/ner/engine';
import { ProseSegmenter } from '../server/src/core/prose/segment';
import { DocumentAbbreviations, WHOLE_TEXT } from '../server/src/core/ner/abbreviationTypes';
import { LineIndex } from '../server/src/core/text/lines';
import { proseSemanticTokens } from '../server/src/features/proseNer';
import { DEFAULT_SETTINGS } from '../common/src/settings';
import { noteText } from './note';

const [modelDir, file] = process.argv.slice(2);
const sentences: string[][] = JSON.parse(readFileSync(file, 'utf8'));
async function main() {
  const engine = await NerEngine.load(path.resolve(modelDir), { threads: 1, workerScript: path.resolve('dist/nerWorker.js') });
  const seg = new ProseSegmenter();
  const abbr = new DocumentAbbreviations();
  let text = noteText(sentences);
  const run = async (label: string) => {
    const t: number[] = [performance.now()];
    const s = seg.segment(text, 'plaintext'); t.push(performance.now());
    const words = s.map((x) => x.texts);
    const p = await engine.predict(words, {}); t.push(performance.now());
    const a = abbr.apply(words, p, WHOLE_TEXT); t.push(performance.now());
    const index = new LineIndex(text); t.push(performance.now());
    proseSemanticTokens({ index, sentences: s, predictions: a }, DEFAULT_SETTINGS); t.push(performance.now());
    console.log(label, ['seg', 'predict', 'abbr', 'lines', 'tokens'].map((n, i) => `${n} ${(t[i + 1] - t[i]).toFixed(1)}`).join('  '), 'total', (t[5] - t[0]).toFixed(1));
  };
  await run('first');
  const lines = text.split('\n');
  for (const e of (process.env.ORDER ?? "0,1,2,3,4,5,6,7,8,9").split(",").map(Number)) {
    const s = Math.floor(((e + 1) * sentences.length) / 11);
    const line = 2 * s;
    const w = sentences[s][0].length;
    lines[line] = lines[line].slice(0, w) + 'x' + lines[line].slice(w);
    text = lines.join('\n');
    await run(`edit ${e}`);
  }
  await engine.dispose();
}
main();
