/** A whole BIO file's sentences for the corpus index, from the editor's text or from disk. */
import type { BionerSettings } from '@common/settings';
import { readCorpus, scanLayout } from '../conll/corpus';
import { layoutOf } from '../conll/layout';
import { SentenceReader } from '../conll/reader';
import type { Scheme } from '../conll/tags';
import { LineIndex } from '../text/lines';
import { corpusSentence, type CorpusSentence } from './sentence';

export type LayoutSettings = Pick<BionerSettings, 'tagColumn' | 'scheme'>;

export interface LoadedFile {
  scheme: Scheme;
  sentences: CorpusSentence[];
}

/** The sentences of a text, numbered as the file's own checks number them. */
export function sentencesOfText(text: string, settings: LayoutSettings): LoadedFile {
  const index = new LineIndex(text);
  const layout = layoutOf(index.lines(), settings);
  const sentences: CorpusSentence[] = [];
  const reader = new SentenceReader(layout.separator, layout.tagSetting, { sentence: (tokens) => sentences.push(corpusSentence(tokens, layout)) });
  for (const line of index.lines()) reader.push(line);
  reader.end();
  return { scheme: layout.scheme, sentences };
}

export async function sentencesOfFile(path: string, settings: LayoutSettings): Promise<LoadedFile> {
  const layout = await scanLayout(path, settings);
  const sentences: CorpusSentence[] = [];
  for await (const item of readCorpus(path, layout)) if (item.kind === 'sentence') sentences.push(corpusSentence(item.tokens, layout));
  return { scheme: layout.scheme, sentences };
}
