/**
 * A seeded sample of the surface-form consistency flags on one unmodified corpus, printed with their context for
 * reading by hand: the flagged sentence with its tags (the flagged words in [brackets]) and the majority places.
 *   node --import tsx bench/consistencySample.ts [CORPUS_DIR] [N] [SEED]
 * bench/results/consistency-sample.md holds the verdicts on the BC5CDR sample this prints.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { indexCorpora } from '../server/src/core/corpus/batch';
import { SurfaceFormConsistency } from '../server/src/core/corpus/forms';
import { Random } from '../test/support/random';

const DIR = process.argv[2] ?? '/work/shared/data/BC5CDR';
const N = Number(process.argv[3] ?? 50);
const SEED = Number(process.argv[4] ?? 7);
const CODES = new Set(['type-conflict', 'unannotated-occurrence', 'boundary-variation']);

/** The sentence around a line, as `word/TAG` with O left bare, the tokens from `line` on for `length` in brackets. */
function sentenceAt(lines: string[], line: number, length: number): string {
  let start = line;
  while (start > 0 && lines[start - 1] !== '') start--;
  let end = line;
  while (end < lines.length && lines[end] !== '') end++;
  return lines
    .slice(start, end)
    .map((row, i) => {
      const [word, tag] = row.split('\t');
      const text = tag === 'O' ? word : `${word}/${tag}`;
      const at = start + i;
      return (at === line ? '[' : '') + text + (at === line + length - 1 ? ']' : '');
    })
    .join(' ');
}

async function main(): Promise<void> {
  const files = ['train', 'dev', 'test'].map((s) => path.join(DIR, `${s}.tsv`));
  const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8').split('\n')]));
  for await (const corpus of indexCorpora(files, { tagColumn: -1, scheme: 'auto', scope: 'folder' }, [() => new SurfaceFormConsistency()])) {
    const flags = corpus.files.flatMap(({ file }) => corpus.detectors[0].findings(file).map((f) => ({ file, f })));
    const pool = flags.filter(({ f }) => CODES.has(f.code));
    const rand = new Random(SEED);
    const sample: typeof pool = [];
    while (sample.length < Math.min(N, pool.length)) sample.push(...pool.splice(rand.int(pool.length), 1));
    sample.sort((a, b) => a.file.localeCompare(b.file) || a.f.line - b.f.line);
    console.log(`${flags.length} flags, sampled ${sample.length} (seed ${SEED})\n`);
    sample.forEach(({ file, f }, i) => {
      const form = /^'(.*?)' is annotated/.exec(f.message)?.[1] ?? '';
      const length = form.split(' ').length;
      console.log(`${i + 1}. ${path.basename(file)}:${f.line + 1} ${f.code}: ${f.message}`);
      console.log(`   here: ${sentenceAt(text.get(file)!, f.line, length)}`);
      for (const r of f.related ?? []) console.log(`   majority (${path.basename(r.file ?? file)}:${r.line + 1}): ${sentenceAt(text.get(r.file ?? file)!, r.line, length)}`);
      console.log();
    });
  }
}

void main();
