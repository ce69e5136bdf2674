/**
 * How the corpus detectors do on the nine shared corpora, and with which thresholds:
 *   a. flags per code, and per 1,000 sentences, on each unmodified corpus (train + dev + test as one corpus, as the
 *      editor and `bioner check DIR` group them);
 *   b. recall and precision on a planted copy: seeded inconsistencies of five kinds, far apart, in a temp folder;
 *   c. a threshold grid (minCount × minRatio) on BC5CDR, NCBI-disease and JNLPBA;
 *   d. time and peak RSS to index all nine corpora through batch.ts and ask every file's findings.
 *   node --import tsx bench/consistency.ts [OUT_JSON] [PER_KIND]
 * Writes OUT_JSON (default bench/results/consistency.json) and prints tables.
 *
 * Plants (each kind's candidates, then a seeded pick; one plant per form and per sentence, no plant in a sentence
 * next to another, no copied sentence containing a planted form):
 *   retype    an entity whose form (case folded as the detector folds it) is annotated ≥ 4× in the corpus, always
 *             with one type (so ≥ 3× elsewhere), gets another type of the corpus     → type-conflict at its start
 *   drop      such an entity becomes O                                               → unannotated-occurrence
 *   shift     such an entity is extended by one neighbouring O token, or, if it has two tokens or more, loses
 *             its first or last token                                                → boundary-variation at its start
 *   leak      a train sentence (≥ 8 tokens, unique in the corpus) is inserted into test → split-leak there
 *   duplicate a sentence (≥ 8 tokens, unique) is inserted again later in its file    → duplicate-sentence there
 * Forms of weak words only (the detector never flags them as O or as boundaries) are not candidates.
 *
 * New flags. A flag of the planted copy is new unless the unmodified corpus has a flag with the same code on the
 * same token: plants change tags and insert whole sentences, never words, so every sentence of the copy is either
 * an inserted one (all its flags are new) or an original one, and a token line of an original sentence maps to
 * (its sentence's original first line + token offset) in the unmodified file. precision = planted hits / new flags;
 * raw precision = planted hits / all flags of that code in the copy. A hit is a flag of the kind's code on a plant's
 * line; a leak also counts the flag on the train sentence it copies (the detector flags both sides).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusFindings, indexCorpora } from '../server/src/core/corpus/batch';
import type { CorpusDetector } from '../server/src/core/corpus/detector';
import { corpusDetectors } from '../server/src/core/corpus/detectors';
import { SurfaceFormConsistency, type FormThresholds } from '../server/src/core/corpus/forms';
import { SplitHygiene } from '../server/src/core/corpus/splits';
import { foldCase, isWeakWord } from '../server/src/core/corpus/surfaceForms';
import { Random } from '../test/support/random';

const DATA = process.env.BIONER_DATA ?? '/work/shared/data';
const OUT = process.argv[2] ?? path.join(__dirname, 'results', 'consistency.json');
const PER_KIND = Number(process.argv[3] ?? 30);
const SEED = 20240611;
const CORPORA = ['BC5CDR', 'NCBI-disease', 'BC2GM', 'JNLPBA', 'LINNAEUS', 'AnatEM', 'BioNLP09', 'BioNLP11EPI', 'BioNLP13GE'];
const GRID_CORPORA = new Set(['BC5CDR', 'NCBI-disease', 'JNLPBA']);
const MIN_COUNTS = [2, 3, 5];
const MIN_RATIOS = [0.6, 0.75, 0.9];
const SPLITS = ['train', 'dev', 'test'] as const;
const OPTIONS = { tagColumn: -1, scheme: 'auto' as const, scope: 'folder' as const };

type Kind = 'retype' | 'drop' | 'shift' | 'leak' | 'duplicate';
const KINDS: Kind[] = ['retype', 'drop', 'shift', 'leak', 'duplicate'];
const CODE: Record<Kind, string> = {
  retype: 'type-conflict',
  drop: 'unannotated-occurrence',
  shift: 'boundary-variation',
  leak: 'split-leak',
  duplicate: 'duplicate-sentence',
};
const CODES = KINDS.map((k) => CODE[k]);

/** A block of a file: a sentence's token lines (or a -DOCSTART- line), and where it came from. */
interface Block {
  rows: string[];
  /** First line in the unmodified file; undefined for an inserted sentence. */
  origin?: number;
  docstart: boolean;
}

function readBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let current: Block | undefined;
  lines.forEach((line, i) => {
    if (line === '') {
      current = undefined;
      return;
    }
    if (!current) blocks.push((current = { rows: [], origin: i, docstart: line.startsWith('-DOCSTART-') }));
    current.rows.push(line);
  });
  return blocks;
}

/** `blankEnd`: the file ends with a blank line after its last sentence (most of the shared files do). */
function writeBlocks(blocks: Block[], blankEnd: boolean): { text: string; starts: number[] } {
  const starts: number[] = [];
  let line = 0;
  for (const block of blocks) {
    starts.push(line);
    line += block.rows.length + 1;
  }
  return { text: blocks.map((b) => b.rows.join('\n') + '\n').join('\n') + (blankEnd ? '\n' : ''), starts };
}

const wordOf = (row: string) => row.split('\t')[0];
const tagOf = (row: string) => row.split('\t')[1] ?? 'O';
const withTag = (row: string, tag: string) => `${wordOf(row)}\t${tag}`;

interface Entity {
  start: number;
  end: number;
  type: string;
}
function entities(rows: string[]): Entity[] {
  const found: Entity[] = [];
  rows.forEach((row, i) => {
    const tag = tagOf(row);
    if (tag.startsWith('B-') || (tag.startsWith('I-') && (i === 0 || tagOf(rows[i - 1]).slice(2) !== tag.slice(2) || tagOf(rows[i - 1]) === 'O')))
      found.push({ start: i, end: i + 1, type: tag.slice(2) });
    else if (tag.startsWith('I-') && found.length) found[found.length - 1].end = i + 1;
  });
  return found;
}
const formKey = (rows: string[], e: { start: number; end: number }) =>
  rows
    .slice(e.start, e.end)
    .map((r) => foldCase(wordOf(r)))
    .join(' ');

interface Plant {
  kind: Kind;
  file: string;
  /** Zero-based line in the planted file where the flag is expected. */
  line: number;
  /** Other lines (another file's) where a flag of the code also counts as a hit. */
  also?: { file: string; line: number };
  form?: string;
  detail: string;
  /** Whether the default thresholds flag it with the kind's code (set when scored). */
  flagged?: boolean;
}

interface CorpusCopy {
  dir: string;
  files: Record<string, Block[]>;
  blankEnd: Record<string, boolean>;
  starts: Record<string, number[]>;
  plants: Plant[];
  available: Record<Kind, number>;
}

/** Plants up to PER_KIND inconsistencies of each kind into a copy of the corpus in a temp folder. */
function plantCorpus(name: string, original: Record<string, Block[]>, blankEnd: Record<string, boolean>, seed: number): CorpusCopy {
  const rand = new Random(seed);
  const files: Record<string, Block[]> = {};
  for (const split of SPLITS) files[split] = original[split].map((b) => ({ ...b, rows: [...b.rows] }));
  // Form statistics over the whole corpus: form → type → count.
  const forms = new Map<string, Map<string, number>>();
  const types = new Set<string>();
  for (const split of SPLITS)
    for (const block of files[split]) {
      if (block.docstart) continue;
      for (const e of entities(block.rows)) {
        types.add(e.type);
        const key = formKey(block.rows, e);
        let byType = forms.get(key);
        if (!byType) forms.set(key, (byType = new Map()));
        byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      }
    }
  const strongForm = (key: string) => {
    const byType = forms.get(key);
    if (!byType || byType.size !== 1) return false;
    const n = [...byType.values()][0];
    const words = key.split(' ');
    return n >= 4 && words.length <= 10 && !words.every(isWeakWord);
  };
  const usedForms = new Set<string>();
  const usedBlocks = new Set<string>();
  const blockFree = (split: string, b: number) => !usedBlocks.has(`${split}:${b - 1}`) && !usedBlocks.has(`${split}:${b}`) && !usedBlocks.has(`${split}:${b + 1}`);
  const candidates: { split: string; b: number; e: Entity; key: string }[] = [];
  for (const split of SPLITS)
    files[split].forEach((block, b) => {
      if (block.docstart) return;
      for (const e of entities(block.rows)) {
        const key = formKey(block.rows, e);
        if (strongForm(key)) candidates.push({ split, b, e, key });
      }
    });
  const plants: Plant[] = [];
  const pending: { split: string; b: number; kind: Kind; entityStart?: number; detail: string; form?: string; also?: { split: string; b: number } }[] = [];
  const available = {} as Record<Kind, number>;
  const typeList = [...types].sort();

  for (const kind of ['retype', 'drop', 'shift'] as const) {
    const pool = candidates.filter((c) => {
      if (kind === 'retype') return typeList.length > 1;
      if (kind === 'drop') return true;
      const rows = files[c.split][c.b].rows;
      const before = c.e.start > 0 && tagOf(rows[c.e.start - 1]) === 'O';
      const after = c.e.end < rows.length && tagOf(rows[c.e.end]) === 'O';
      return before || after || c.e.end - c.e.start > 1;
    });
    available[kind] = new Set(pool.map((c) => c.key)).size;
    let planted = 0;
    for (let tries = 0; planted < PER_KIND && tries < pool.length * 3 && pool.length > 0; tries++) {
      const c = pool[rand.int(pool.length)];
      if (usedForms.has(c.key) || !blockFree(c.split, c.b)) continue;
      const rows = files[c.split][c.b].rows;
      // The entity's tags may have been changed by an earlier plant in this block: blockFree rules that out.
      let detail: string;
      if (kind === 'retype') {
        const other = rand.pick(typeList.filter((t) => t !== c.e.type));
        for (let i = c.e.start; i < c.e.end; i++) rows[i] = withTag(rows[i], `${i === c.e.start ? 'B' : 'I'}-${other}`);
        detail = `${c.e.type} → ${other}`;
      } else if (kind === 'drop') {
        for (let i = c.e.start; i < c.e.end; i++) rows[i] = withTag(rows[i], 'O');
        // An I- right after the dropped entity would now start an entity of its own: no such case, an entity ends
        // where the next tag is not I- of its type.
        detail = `${c.e.type} → O`;
      } else {
        const options: string[] = [];
        if (c.e.start > 0 && tagOf(rows[c.e.start - 1]) === 'O') options.push('extend-left');
        if (c.e.end < rows.length && tagOf(rows[c.e.end]) === 'O') options.push('extend-right');
        if (c.e.end - c.e.start > 1) options.push('cut-first', 'cut-last');
        const how = rand.pick(options);
        const t = c.e.type;
        if (how === 'extend-left') {
          rows[c.e.start - 1] = withTag(rows[c.e.start - 1], `B-${t}`);
          rows[c.e.start] = withTag(rows[c.e.start], `I-${t}`);
        } else if (how === 'extend-right') rows[c.e.end] = withTag(rows[c.e.end], `I-${t}`);
        else if (how === 'cut-first') {
          rows[c.e.start] = withTag(rows[c.e.start], 'O');
          rows[c.e.start + 1] = withTag(rows[c.e.start + 1], `B-${t}`);
        } else rows[c.e.end - 1] = withTag(rows[c.e.end - 1], 'O');
        detail = how;
      }
      usedForms.add(c.key);
      usedBlocks.add(`${c.split}:${c.b}`);
      pending.push({ split: c.split, b: c.b, kind, entityStart: c.e.start, detail, form: c.key });
      planted++;
    }
  }

  // Sentences to copy: long enough to be compared, unique in the corpus, without a planted form.
  const textCount = new Map<string, number>();
  for (const split of SPLITS) for (const block of files[split]) if (!block.docstart) textCount.set(block.rows.map(wordOf).join(' '), (textCount.get(block.rows.map(wordOf).join(' ')) ?? 0) + 1);
  const planted = [...usedForms].map((k) => ` ${k} `);
  const copyable = (split: string, b: number) => {
    const block = files[split][b];
    if (block.docstart || block.rows.length < 8 || !blockFree(split, b)) return false;
    const words = block.rows.map(wordOf);
    if (textCount.get(words.join(' ')) !== 1 || !words.some((w) => /\p{L}{3}/u.test(w))) return false;
    const folded = ` ${words.map(foldCase).join(' ')} `;
    return !planted.some((k) => folded.includes(k));
  };
  const inserts: { split: string; at: number; block: Block; kind: Kind; from: { split: string; b: number } }[] = [];
  for (const kind of ['leak', 'duplicate'] as const) {
    const pool: { split: string; b: number }[] = [];
    for (const split of kind === 'leak' ? ['train'] : SPLITS) files[split].forEach((_, b) => copyable(split, b) && pool.push({ split, b }));
    available[kind] = pool.length;
    let count = 0;
    for (let tries = 0; count < PER_KIND && tries < pool.length * 3 && pool.length > 0; tries++) {
      const c = pool[rand.int(pool.length)];
      if (!blockFree(c.split, c.b)) continue;
      const target = kind === 'leak' ? 'test' : c.split;
      // Insert between two blocks of the target, away from other plants; a duplicate after its original.
      const lo = kind === 'duplicate' ? c.b + 2 : 1;
      const n = files[target].length;
      if (lo >= n) continue;
      const at = lo + rand.int(n - lo);
      if (!blockFree(target, at) || !blockFree(target, at - 1) || inserts.some((x) => x.split === target && Math.abs(x.at - at) < 3)) continue;
      usedBlocks.add(`${c.split}:${c.b}`);
      usedBlocks.add(`${target}:${at}`);
      inserts.push({ split: target, at, block: { rows: [...files[c.split][c.b].rows], docstart: false }, kind, from: c });
      count++;
    }
  }
  // Inserted blocks go in from the end of each file, so that earlier insertion points keep their indices.
  const blockIds: Record<string, (Block | undefined)[]> = {};
  for (const split of SPLITS) blockIds[split] = [...files[split]];
  inserts.sort((a, b) => b.at - a.at);
  for (const x of inserts) files[x.split].splice(x.at, 0, x.block);
  const dir = mkdtempSync(path.join(os.tmpdir(), `bioner-consistency-${name}-`));
  const starts: Record<string, number[]> = {};
  for (const split of SPLITS) {
    const written = writeBlocks(files[split], blankEnd[split]);
    writeFileSync(path.join(dir, `${split}.tsv`), written.text);
    starts[split] = written.starts;
  }
  const lineOf = (split: string, block: Block, offset = 0) => starts[split][files[split].indexOf(block)] + offset;
  for (const p of pending) {
    const block = blockIds[p.split][p.b]!;
    plants.push({ kind: p.kind, file: `${p.split}.tsv`, line: lineOf(p.split, block, p.entityStart), form: p.form, detail: p.detail });
  }
  for (const x of inserts) {
    const source = blockIds[x.from.split][x.from.b]!;
    plants.push({
      kind: x.kind,
      file: `${x.split}.tsv`,
      line: lineOf(x.split, x.block),
      ...(x.kind === 'leak' && { also: { file: `${x.from.split}.tsv`, line: lineOf(x.from.split, source) } }),
      detail: `copy of ${x.from.split}.tsv line ${source.origin! + 1}`,
    });
  }
  return { dir, files, blankEnd, starts, plants, available };
}

interface Flag {
  code: string;
  file: string;
  line: number;
}

/** Every detector's findings, per detector, for the three files of a folder. */
async function detect(dir: string, factories: (() => CorpusDetector)[]): Promise<{ flags: Flag[][]; sentences: number }> {
  const files = SPLITS.map((s) => path.join(dir, `${s}.tsv`));
  const flags: Flag[][] = factories.map(() => []);
  let sentences = 0;
  for await (const corpus of indexCorpora(files, OPTIONS, factories)) {
    for (const [key, message] of corpus.errors) throw new Error(`${key}: ${message}`);
    corpus.detectors.forEach((detector, d) => {
      for (const { file } of corpus.files) for (const f of detector.findings(file)) flags[d].push({ code: f.code, file: path.basename(file), line: f.line });
    });
    const split = corpus.detectors.find((d): d is SplitHygiene => d instanceof SplitHygiene);
    sentences = split ? split.sentences().length : 0;
  }
  return { flags, sentences };
}

interface KindScore {
  planted: number;
  available: number;
  recall: number | null;
  newFlags: number;
  precision: number | null;
  rawPrecision: number | null;
  hits: number;
}

/** Scores the planted copy's flags of each kind against the plants and the unmodified corpus's flags. */
function score(copy: CorpusCopy, planted: Flag[], unmodified: Flag[]): Record<Kind, KindScore> {
  // Map a line of the copy to the unmodified file's line, or undefined within an inserted sentence.
  const mapLine = (file: string, line: number): number | undefined => {
    const split = file.replace('.tsv', '');
    const starts = copy.starts[split];
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= line) lo = mid;
      else hi = mid - 1;
    }
    const block = copy.files[split][lo];
    return block.origin === undefined ? undefined : block.origin + (line - starts[lo]);
  };
  const before = new Set(unmodified.map((f) => `${f.code}|${f.file}|${f.line}`));
  const isNew = (f: Flag) => {
    const line = mapLine(f.file, f.line);
    return line === undefined || !before.has(`${f.code}|${f.file}|${line}`);
  };
  const scores = {} as Record<Kind, KindScore>;
  for (const kind of KINDS) {
    const code = CODE[kind];
    const plants = copy.plants.filter((p) => p.kind === kind);
    const targets = new Set(plants.flatMap((p) => [`${p.file}|${p.line}`, ...(p.also ? [`${p.also.file}|${p.also.line}`] : [])]));
    const ofCode = planted.filter((f) => f.code === code);
    const at = new Set(ofCode.map((f) => `${f.file}|${f.line}`));
    for (const p of plants) p.flagged = at.has(`${p.file}|${p.line}`);
    const found = plants.filter((p) => p.flagged).length;
    const fresh = ofCode.filter(isNew);
    const hits = ofCode.filter((f) => targets.has(`${f.file}|${f.line}`)).length;
    const freshHits = fresh.filter((f) => targets.has(`${f.file}|${f.line}`)).length;
    scores[kind] = {
      planted: plants.length,
      available: copy.available[kind],
      recall: plants.length ? found / plants.length : null,
      newFlags: fresh.length,
      hits: freshHits,
      precision: fresh.length ? freshHits / fresh.length : null,
      rawPrecision: ofCode.length ? hits / ofCode.length : null,
    };
  }
  return scores;
}

const countBy = (flags: Flag[]) => Object.fromEntries(CODES.map((c) => [c, flags.filter((f) => f.code === c).length]));
const pct = (x: number | null) => (x === null ? '–' : (100 * x).toFixed(0).padStart(3) + '%');
const per1k = (n: number, sentences: number) => Math.round((10000 * n) / sentences) / 10;

async function timing(): Promise<Record<string, number>> {
  const files = CORPORA.flatMap((c) => SPLITS.map((s) => path.join(DATA, c, `${s}.tsv`)));
  let bytes = 0;
  for (const f of files) bytes += readFileSync(f).length;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let indexMs = 0;
  let findingsMs = 0;
  let findings = 0;
  let peakHeap = 0;
  let t = performance.now();
  for await (const corpus of indexCorpora(files, OPTIONS, corpusDetectors())) {
    indexMs += performance.now() - t;
    const t1 = performance.now();
    for (const list of corpusFindings(corpus).values()) findings += list.length;
    findingsMs += performance.now() - t1;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    t = performance.now();
  }
  return {
    megabytes: Math.round(bytes / 1e5) / 10,
    totalSeconds: Math.round(performance.now() - t0) / 1000,
    indexSeconds: Math.round(indexMs) / 1000,
    findingsSeconds: Math.round(findingsMs) / 1000,
    findings,
    rssBeforeMB: Math.round(rssBefore / 1048576),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    peakHeapAfterCorpusMB: Math.round(peakHeap / 1048576),
  };
}

async function main(): Promise<void> {
  // First, while the process is fresh: time and peak memory of the batch index over all nine corpora.
  const time = await timing();
  console.log(`indexing 9 corpora (${time.megabytes} MB): ${time.totalSeconds} s (index ${time.indexSeconds} s, findings ${time.findingsSeconds} s), peak RSS ${time.peakRssMB} MB`);

  const grid: FormThresholds[] = MIN_COUNTS.flatMap((minCount) => MIN_RATIOS.map((minRatio) => ({ minCount, minRatio })));
  const results: Record<string, unknown>[] = [];
  for (const [c, name] of CORPORA.entries()) {
    const original: Record<string, Block[]> = {};
    const blankEnd: Record<string, boolean> = {};
    for (const split of SPLITS) {
      const text = readFileSync(path.join(DATA, name, `${split}.tsv`), 'utf8');
      original[split] = readBlocks(text);
      blankEnd[split] = text.endsWith('\n\n');
      if (writeBlocks(original[split], blankEnd[split]).text !== text) throw new Error(`${name}/${split}: blocks do not round-trip`);
    }
    const thresholds = GRID_CORPORA.has(name) ? grid : [{ minCount: 3, minRatio: 0.75 }];
    const factories = [() => new SplitHygiene(), ...thresholds.map((t) => () => new SurfaceFormConsistency(t))];
    const base = await detect(path.join(DATA, name), factories);
    const copy = plantCorpus(name, original, blankEnd, SEED + c);
    const planted = await detect(copy.dir, factories);
    rmSync(copy.dir, { recursive: true, force: true });
    const flagsOf = (run: Flag[][], d: number) => [...run[0], ...run[d]];
    const defaultIndex = 1 + thresholds.findIndex((t) => t.minCount === 3 && t.minRatio === 0.75);
    const unmodified = flagsOf(base.flags, defaultIndex);
    const counts = countBy(unmodified);
    const row = {
      corpus: name,
      sentences: base.sentences,
      unmodified: counts,
      per1000: Object.fromEntries(CODES.map((code) => [code, per1k(counts[code], base.sentences)])),
      planted: score(copy, flagsOf(planted.flags, defaultIndex), unmodified),
      // Recall of boundary shifts by how the boundary moved (an extension makes the form a part of a longer entity).
      shifts: Object.fromEntries(
        ['extend-left', 'extend-right', 'cut-first', 'cut-last'].map((how) => {
          const ps = copy.plants.filter((p) => p.kind === 'shift' && p.detail === how);
          return [how, `${ps.filter((p) => p.flagged).length}/${ps.length}`];
        }),
      ),
      plants: copy.plants,
      grid: GRID_CORPORA.has(name)
        ? thresholds.map((t, i) => {
            const s = score(copy, flagsOf(planted.flags, i + 1), flagsOf(base.flags, i + 1));
            const consistency = (['retype', 'drop', 'shift'] as const).filter((k) => s[k].planted > 0);
            const sum = (f: (k: KindScore) => number) => consistency.reduce((a, k) => a + f(s[k]), 0);
            const flags = base.flags[i + 1].length;
            return {
              ...t,
              recall: sum((k) => k.recall! * k.planted) / sum((k) => k.planted),
              precision: sum((k) => k.newFlags) ? sum((k) => k.hits) / sum((k) => k.newFlags) : null,
              perKind: Object.fromEntries(consistency.map((k) => [k, { recall: s[k].recall, precision: s[k].precision }])),
              unmodifiedFlags: flags,
              per1000: per1k(flags, base.sentences),
            };
          })
        : undefined,
    };
    score(copy, flagsOf(planted.flags, defaultIndex), unmodified); // plants' `flagged` at the default thresholds
    results.push(row);
    console.error(`${name}: done`);
  }

  console.log('\n(a) unmodified: flags (per 1,000 sentences)');
  console.log(['corpus'.padEnd(12), 'sent.'.padStart(6), ...CODES.map((c) => c.padStart(24))].join(' '));
  for (const r of results as any[])
    console.log([r.corpus.padEnd(12), String(r.sentences).padStart(6), ...CODES.map((c) => `${r.unmodified[c]} (${r.per1000[c]})`.padStart(24))].join(' '));
  console.log('\n(b) planted, default thresholds: planted/available forms-or-sentences  recall  precision vs plants (hits/new)  raw precision');
  for (const r of results as any[]) {
    console.log(r.corpus);
    for (const k of KINDS) {
      const s: KindScore = r.planted[k];
      console.log(`  ${k.padEnd(10)} ${`${s.planted}/${s.available}`.padStart(10)}  ${pct(s.recall)}  ${pct(s.precision)} (${s.hits}/${s.newFlags})  ${pct(s.rawPrecision)}`);
    }
    console.log(`  shifts flagged: ${Object.entries(r.shifts).map(([how, n]) => `${how} ${n}`).join(', ')}`);
  }
  console.log('\n(c) grid on the three consistency kinds together: recall, precision vs plants, unmodified consistency flags per 1,000 sentences');
  for (const r of results as any[]) {
    if (!r.grid) continue;
    console.log(r.corpus);
    for (const g of r.grid)
      console.log(
        `  minCount ${g.minCount} minRatio ${g.minRatio.toFixed(2)}  recall ${pct(g.recall)}  precision ${pct(g.precision)}  ${String(g.per1000).padStart(6)}/1k (${g.unmodifiedFlags})  ` +
          Object.entries(g.perKind)
            .map(([k, v]: [string, any]) => `${k} ${pct(v.recall)}/${pct(v.precision)}`)
            .join('  '),
      );
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify({ seed: SEED, perKind: PER_KIND, timing: time, corpora: results }, null, 1) + '\n');
  console.log(`\nwrote ${OUT}`);
}

void main();

