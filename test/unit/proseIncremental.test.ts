/** An edited prose document analysed from its previous version equals a fresh analysis: sentences, predictions, lines and tokens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_SETTINGS } from '@common/settings';
import { DocumentAbbreviations } from '../../server/src/core/ner/abbreviationTypes';
import type { NerEngine, SentencePrediction } from '../../server/src/core/ner/engine';
import { ProseSegmenter } from '../../server/src/core/prose/segment';
import { analyzeProse, proseSemanticTokens, type ProseVersion } from '../../server/src/features/proseNer';
import { Random } from '../support/random';

/**
 * A model that depends on each sentence's words alone: a run of capitalised words is an entity (across line breaks
 * when the text has them), typed by its first letter.
 */
const engine = {
  async predict(sentences: readonly (readonly string[])[]): Promise<SentencePrediction[]> {
    const capital = (word: string | undefined) => word !== undefined && /^\p{Lu}/u.test(word);
    return sentences.map((words) => {
      const spans = words.flatMap((word, i) => {
        if (!capital(word) || capital(words[i - 1])) return [];
        let end = i + 1;
        while (capital(words[end])) end++;
        return [{ start: i, end, type: word < 'M' ? 'Chemical' : 'Disease', confidence: (word.length % 10) / 10 }];
      });
      const labels = words.map((_, i) => (spans.some((s) => s.start === i) ? `B-${spans.find((s) => s.start === i)!.type}` : 'O'));
      return { labels, spans, ranked: [] };
    });
  },
} as unknown as NerEngine;

const SENTENCES = ['Aspirin eased the pain .', 'Acute\nRenal Failure\r\nWith Sepsis .', 'acute renal failure ( ARF ) followed .', 'ARF was seen in Rats again .', 'no entity here', 'Morphine and Heparin ( see Fig. 2 ) were given !'];
const BREAKS = ['\n\n', '\n \n', '\r\n\r\n', '\n', ' ', '\n\n\n', '\n\t\n'];
const INSERTS = ['', 'x', ' ', '.', '\n', '\n\n', '\r\n', '\r', '\n \n', '. New', ' ARF', ' (ARF) ', 'Zinc', '\t', 'acute renal failure (ARF)'];

function randomText(rng: Random): string {
  const parts = Array.from({ length: rng.between(1, 30) }, () => rng.pick(SENTENCES) + rng.pick(BREAKS));
  return rng.pick(['', '\n\n', ' ']) + parts.join('');
}

/** Two low-confidence thresholds: a version's tokens are made again when it changes. */
const SETTINGS = [DEFAULT_SETTINGS, { ...DEFAULT_SETTINGS, lowConfidenceThreshold: 0.35 }];

/** What an analysis shows: its sentences' words, predictions (with abbreviation sources), line starts and tokens. */
function shown(analysis: ProseVersion, settings = DEFAULT_SETTINGS) {
  return {
    words: analysis.sentences.map((s) => s.words),
    predictions: analysis.predictions.map((p) => ({ labels: p.labels, spans: p.spans })),
    lines: [...analysis.index.starts],
    tokens: proseSemanticTokens(analysis, settings).data,
  };
}

const fresh = (document: TextDocument) => analyzeProse(document, engine, {}, { segmenter: new ProseSegmenter(), abbreviations: new DocumentAbbreviations() }, true);

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`random edits analysed from the previous version equal a fresh analysis (seed ${seed})`, async () => {
    const rng = new Random(seed);
    for (const languageId of ['plaintext', 'markdown']) {
      let document = TextDocument.create('file:///note.txt', languageId, 1, randomText(rng));
      const memory = { segmenter: new ProseSegmenter(), abbreviations: new DocumentAbbreviations() };
      let analysis = await analyzeProse(document, engine, {}, memory, true);
      for (let e = 0; e < 60; e++) {
        const text = document.getText();
        const from = rng.int(text.length + 1);
        const range = { start: document.positionAt(from), end: document.positionAt(Math.min(text.length, from + (rng.chance(0.5) ? 0 : rng.between(1, 8)))) };
        // Offsets as the server's edit log takes them (a position inside \r\n moves to the line's end).
        const [start, end] = [document.offsetAt(range.start), document.offsetAt(range.end)];
        const inserted = rng.pick(INSERTS);
        document = TextDocument.update(document, [{ range, text: inserted }], document.version + 1);
        analysis = await analyzeProse(document, engine, {}, memory, true, { previous: analysis, change: { start, end, length: inserted.length } });
        // Some versions are never shown (the client did not ask in time): the next one's tokens are made from scratch.
        if (rng.chance(0.2)) continue;
        const settings = rng.chance(0.2) ? SETTINGS[1] : SETTINGS[0];
        assert.deepEqual(shown(analysis, settings), shown(await fresh(document), settings), `${languageId}, edit ${e}: ${JSON.stringify(inserted)} over [${start}, ${end}) of ${JSON.stringify(text)}`);
      }
    }
  });
}
