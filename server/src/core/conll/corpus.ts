/** Streams a BIO/CoNLL file as sentences and the lines between them, in file order, for any file size. */
import type { SchemeSetting } from '@common/settings';
import { linesOfFile, type Line } from '../text/lines';
import { isDocstart } from './columns';
import { LayoutScanner, type Layout } from './layout';
import { SentenceReader, type TokenLine } from './reader';

export type CorpusItem = { kind: 'sentence'; tokens: TokenLine[] } | { kind: 'line'; line: Line };

export async function scanLayout(path: string, settings: { tagColumn: number; scheme: SchemeSetting }): Promise<Layout> {
  const scanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  for await (const line of linesOfFile(path)) scanner.push(line);
  return scanner.finish();
}

export async function* readCorpus(path: string, layout: Layout): AsyncGenerator<CorpusItem> {
  const queue: CorpusItem[] = [];
  const asLine = (line: Line) => queue.push({ kind: 'line', line });
  const reader = new SentenceReader(layout.separator, layout.tagSetting, {
    sentence: (tokens) => queue.push({ kind: 'sentence', tokens }),
    docstart: asLine,
    comment: asLine,
    blank: asLine,
  });
  for await (const line of linesOfFile(path)) {
    reader.push(line);
    yield* queue.splice(0);
  }
  reader.end();
  yield* queue.splice(0);
}

/** A token line's word: its first column. */
export function wordOf(token: TokenLine): string {
  return token.columns[0]?.text ?? '';
}

/** Every sentence of a BIO/CoNLL file, held in memory (for files that are scored or run as a whole). */
export async function readSentences(path: string, settings: { tagColumn: number; scheme: SchemeSetting }): Promise<TokenLine[][]> {
  return (await readBioFile(path, settings)).sentences;
}

/** The layout of a BIO/CoNLL file, its sentences and the lines of its -DOCSTART- marks (0-based). */
export async function readBioFile(
  path: string,
  settings: { tagColumn: number; scheme: SchemeSetting },
): Promise<{ layout: Layout; sentences: TokenLine[][]; docstarts: number[] }> {
  const layout = await scanLayout(path, settings);
  const sentences: TokenLine[][] = [];
  const docstarts: number[] = [];
  for await (const item of readCorpus(path, layout)) {
    if (item.kind === 'sentence') sentences.push(item.tokens);
    else if (isDocstart(item.line.text)) docstarts.push(item.line.number);
  }
  return { layout, sentences, docstarts };
}

export function wordsOf(tokens: readonly TokenLine[]): string[] {
  return tokens.map(wordOf);
}
