/** Rewrites the tags of a document in another scheme, entity by entity, as a list of tag replacements. */
import type { SchemeSetting } from '@common/settings';
import type { Span } from '../checks/finding';
import type { Layout } from './layout';
import { SentenceReader, tagOf, type TokenLine } from './reader';
import { chunkEntities, mapToScheme } from './sequence';
import { formatTag, type Prefix } from './tags';
import { LineIndex, type Line } from '../text/lines';
import { applyLineEdits } from '../text/edits';
import { LayoutScanner } from './layout';

export type TargetScheme = 'IOB2' | 'IOBES';

export interface TagEdit extends Span {
  newText: string;
}

/** Tags of one sentence in the target scheme; tokens without a usable tag keep theirs (null). */
export function convertSentence(tokens: TokenLine[], layout: Layout, target: TargetScheme): (string | null)[] {
  const tags = mapToScheme(tokens.map(tagOf), layout.scheme);
  const out: (string | null)[] = tags.map((tag) => (tag ? 'O' : null));
  for (const chunk of chunkEntities(tags)) {
    for (let i = chunk.start; i < chunk.end; i++) {
      let prefix: Prefix = i === chunk.start ? 'B' : 'I';
      if (target === 'IOBES' && i === chunk.end - 1) prefix = i === chunk.start ? 'S' : 'E';
      out[i] = formatTag({ prefix, type: chunk.type });
    }
  }
  return out;
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
  const scanner = new LayoutScanner(settings.tagColumn, settings.scheme);
  for (const line of index.lines()) scanner.push(line);
  const edits = conversionEdits(index.lines(), scanner.finish(), target);
  return { text: applyLineEdits(index, edits), changed: edits.length };
}
