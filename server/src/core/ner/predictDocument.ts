/** The model over a whole document's sentences, then the types of the abbreviations the document defines. */
import { withAbbreviationTypes, type AbbreviationScope } from './abbreviationTypes';
import type { NerEngine, PredictOptions, SentencePrediction } from './engine';

/** `abbreviations`: where a definition applies; undefined: the model's spans alone. */
export async function predictWithAbbreviations(
  engine: NerEngine,
  sentences: readonly (readonly string[])[],
  options: PredictOptions,
  abbreviations: AbbreviationScope | undefined,
): Promise<readonly SentencePrediction[]> {
  const predictions = await engine.predict(sentences, options);
  return abbreviations ? withAbbreviationTypes(sentences, predictions, abbreviations) : predictions;
}
