/** Rewrites the tags of a document in another scheme, entity by entity, as a list of tag replacements. */
import type { SchemeSetting } from '@common/settings';
import type { Span } from '../checks/finding';
import { layoutOf, type Layout } from './layout';
import { SentenceReader, tagOf, type TokenLine } from './reader';
import { chunkEntities, mapToScheme, type Chunk } from './sequence';
import { formatTag, type Prefix, type Scheme } from './tags';
import { LineIndex, type Line } from '../text/lines';
import { applyLineEdits } from '../text/edits';

export type TargetScheme = 'IOB2' | 'IOBES';

export interface TagEdit extends Span {
  newText: string;
}

/** Tags of `length` tokens spelling these entities in a scheme (IOB1 is written as IOB2). */
export function tagsForChunks(chunks: readonly Chunk[], length: number, scheme: Scheme): string[] {
  const [closing, single]: Prefix[] = scheme === 'BILOU' ? ['L', 'U'] : scheme === 'IOBES' ? ['E', 'S'] : ['I', 'B'];
  const out = new Array<string>(length).fill('O');
  for (const chunk of chunks) {
    for (let i = chunk.start; i < chunk.end; i++) {
      const last = i === chunk.end - 1;
      const prefix: Prefix = i === chunk.start ? (last ? single : 'B') : last ? closing : 'I';
      out[i] = formatTag({ prefix, type: chunk.type });
    }
  }
  return out;
}

/** Tags of one sentence in the target scheme; tokens without a usable tag keep theirs (null). */
export function convertSentence(tokens: TokenLine[], layout: Layout, target: TargetScheme): (string | null)[] {
  const tags = mapToScheme(tokens.map(tagOf), layout.scheme);
  const converted = tagsForChunks(chunkEntities(tags), tags.length, target);
  return converted.map((tag, i) => (tags[i] ? tag : null));
}

export function conversionEdits(lines: Iterable<Line>, layout: Layout, target: TargetScheme): TagEdit[] {
  const edits: TagEdit[] = [];
  const reader = new SentenceReader(layout.separator, layout.tagSetting, {
    sentence(tokens) {
      convertSentence(tokens, layout, target).forEach((tag, i) => {
        const { line, tagColumn } = tokens[i];
        if (tag === null || !tagColumn || tag === tagColumn.text) return;
        edits.push({ line: line.number, start: line.offset + tagColumn.start, end: line.offset + tagColumn.end, newText: tag });
      });
    },
  });
  for (const line of lines) reader.push(line);
  reader.end();
  return edits;
}

/** The whole text with its tags in the target scheme, and how many tags changed. */
export function convertText(text: string, settings: { tagColumn: number; scheme: SchemeSetting }, target: TargetScheme): { text: string; changed: number } {
  const index = new LineIndex(text);
  const edits = conversionEdits(index.lines(), layoutOf(index.lines(), settings), target);
  return { text: applyLineEdits(index, edits), changed: edits.length };
}
