/** Hand-written corpus sentences for the corpus detectors' tests: `word/TAG` tokens, bare words O. */
import { parseTag, type Scheme } from '../../server/src/core/conll/tags';
import type { Split } from '../../server/src/core/corpus/corpora';
import type { CorpusFile, SentenceRef } from '../../server/src/core/corpus/detector';

let nextId = 0;

/** A sentence starting on `line`, one token a line, its tag after a tab. */
export function ref(file: CorpusFile, line: number, text: string): SentenceRef {
  const tokens = text.split(' ').map((t) => (t.includes('/') ? t.split('/') : [t, 'O']));
  const tag = (t: string) => {
    const parsed = parseTag(t);
    return parsed.ok ? parsed.tag : null;
  };
  return {
    id: nextId++,
    file,
    sentence: {
      lines: tokens.map((_, i) => line + i),
      words: tokens.map(([w]) => w),
      tags: tokens.map(([, t]) => tag(t)),
      tagStarts: tokens.map(([w]) => w.length + 1),
      tagEnds: tokens.map(([w, t]) => w.length + 1 + t.length),
    },
  };
}

export const corpusFile = (name: string, split?: Split, scheme: Scheme = 'IOB2'): CorpusFile => ({ file: `/c/${name}`, split, scheme });
