/** Split hygiene of one corpus: sentences shared between splits, repeated within a file, and types unseen in train. */
import * as path from 'node:path';
import { byPosition, type Finding, type Related, type Span } from '../checks/finding';
import { chunkEntities } from '../conll/sequence';
import type { Split } from './corpora';
import type { CorpusDetector, SentenceRef } from './detector';
import { sentenceText, type CorpusSentence } from './sentence';

/** What the index keeps of a sentence besides the sentence itself. */
interface Entry {
  ref: SentenceRef;
  /** Train, dev, test; a file without a split role is a split of its own. */
  role: string;
  /** Hash of the sentence's text: sentences with the same hash are the same sentence. */
  text: number;
  /** The entities' types and token ranges, to tell "same sentence, same tags" from "different tags". */
  entities: string;
  /** Each entity type of the sentence with the token where it first occurs (an array: most sentences have none or one). */
  types: [string, number][];
}

const RELATED_MAX = 5;
const LETTER = /\p{L}/u;

/**
 * Only sentences with at least three tokens holding a letter are compared. The others are headings, captions and
 * markers ("Results :", "Table 1 .", "( ABSTRACT TRUNCATED )", "- -"): corpora repeat them by design, and one seen in
 * both train and test teaches a model nothing, so flagging them would bury the real copies.
 */
export function isComparable(sentence: Pick<CorpusSentence, 'words'>): boolean {
  let wordy = 0;
  for (const word of sentence.words) if (LETTER.test(word) && ++wordy >= 3) return true;
  return false;
}

/**
 * A sentence copied this often with no entity in any copy is boilerplate ("Nucleic Acids Research", "( ABSTRACT
 * TRUNCATED AT 250 WORDS )", "Data are representative of three independent experiments ."): not reported.
 */
const BOILERPLATE_COPIES = 5;

function isBoilerplate(group: Set<Entry>): boolean {
  if (group.size < BOILERPLATE_COPIES) return false;
  for (const entry of group) if (entry.entities !== '') return false;
  return true;
}

export class SplitHygiene implements CorpusDetector {
  private readonly entries = new Map<number, Entry>();
  /** Comparable sentences by text hash. */
  private readonly groups = new Map<number, Set<Entry>>();
  private readonly files = new Map<string, Set<Entry>>();
  /** Entity types of train files, with their number of sentences; and sentences of train files. */
  private readonly trainTypes = new Map<string, number>();
  private readonly trainFiles = new Map<string, number>();

  added(ref: SentenceRef): void {
    const { sentence, file } = ref;
    const chunks = chunkEntities(sentence.tags);
    const types: [string, number][] = [];
    for (const chunk of chunks) if (chunk.type && !types.some(([type]) => type === chunk.type)) types.push([chunk.type, chunk.start]);
    const entry: Entry = {
      ref,
      role: file.split ?? file.file,
      text: hash(sentenceText(sentence)),
      entities: chunks.map((c) => `${c.type}:${c.start}-${c.end}`).join(' '),
      types,
    };
    this.entries.set(ref.id, entry);
    setOf(this.files, file.file).add(entry);
    if (isComparable(sentence)) setOf(this.groups, entry.text).add(entry);
    if (file.split === 'train') {
      count(this.trainFiles, file.file, 1);
      for (const [type] of types) count(this.trainTypes, type, 1);
    }
  }

  removed(ref: SentenceRef): void {
    const entry = this.entries.get(ref.id);
    if (!entry) return;
    this.entries.delete(ref.id);
    deleteFrom(this.files, ref.file.file, entry);
    deleteFrom(this.groups, entry.text, entry);
    if (ref.file.split === 'train') {
      count(this.trainFiles, ref.file.file, -1);
      for (const [type] of entry.types) count(this.trainTypes, type, -1);
    }
  }

  findings(file: string, limit = Infinity): Finding[] {
    const entries = [...(this.files.get(file) ?? [])].sort((a, b) => a.ref.sentence.lines[0] - b.ref.sentence.lines[0]);
    const findings: Finding[] = [];
    // Per group, what every sentence of this file in it shares: the other splits' copies and the file's first copy
    // (null for boilerplate).
    const seen = new Map<Set<Entry>, { elsewhere: Entry[]; first: Entry } | null>();
    for (const entry of entries) {
      if (findings.length >= limit) break;
      const group = this.groups.get(entry.text);
      if (!group || group.size < 2 || !group.has(entry)) continue;
      const shared = seen.get(group);
      if (shared === undefined) {
        const boilerplate = isBoilerplate(group);
        const elsewhere = [...group].filter((e) => e.role !== entry.role).sort(byPlace);
        seen.set(group, boilerplate ? null : { elsewhere, first: entry });
        if (elsewhere.length && !boilerplate) findings.push(leakFinding(entry, elsewhere));
      } else if (shared) {
        if (shared.elsewhere.length) findings.push(leakFinding(entry, shared.elsewhere));
        findings.push(duplicateFinding(entry, shared.first));
      }
    }
    findings.push(...this.missingTypes(entries));
    return findings.sort(byPosition);
  }

  /** The sentences held, in no particular order. */
  sentences(): SentenceRef[] {
    return [...this.entries.values()].map((e) => e.ref);
  }

  /** Copies of a sentence in files of `split` (other than its own file) as findings count them, and how many have other tags. */
  copiesIn(ref: SentenceRef, split: Split): { copies: number; differentTags: number } {
    const entry = this.entries.get(ref.id);
    const result = { copies: 0, differentTags: 0 };
    const group = entry && this.groups.get(entry.text);
    if (!group || isBoilerplate(group)) return result;
    for (const other of group) {
      if (other === entry || other.ref.file.split !== split || other.ref.file.file === ref.file.file) continue;
      result.copies++;
      if (other.entities !== entry!.entities) result.differentTags++;
    }
    return result;
  }

  /** Types of a dev or test file that no train file has, on their first occurrence; only when train files exist. */
  private missingTypes(entries: Entry[]): Finding[] {
    const split = entries[0]?.ref.file.split;
    if ((split !== 'dev' && split !== 'test') || this.trainFiles.size === 0) return [];
    const trainNames = [...this.trainFiles.keys()].map(baseName).sort().join(', ');
    const findings = new Map<string, Finding>();
    const counts = new Map<string, number>();
    for (const { ref, types } of entries) {
      for (const [type, token] of types) {
        if (this.trainTypes.has(type)) continue;
        count(counts, type, 1);
        if (findings.has(type)) continue;
        const { lines, tagStarts, tagEnds } = ref.sentence;
        findings.set(type, { code: 'type-missing-from-train', line: lines[token], start: tagStarts[token], end: tagEnds[token], message: '', fixes: [] });
      }
    }
    for (const [type, finding] of findings) {
      finding.message = `Entity type '${type}' (in ${counts.get(type)} sentence(s) of this file) occurs in no train file (${trainNames}): a model cannot learn it`;
    }
    return [...findings.values()];
  }
}

function leakFinding(entry: Entry, elsewhere: Entry[]): Finding {
  const byFile = new Map<string, { copies: number; differ: boolean }>();
  for (const other of elsewhere) {
    const seen = byFile.get(other.ref.file.file) ?? { copies: 0, differ: false };
    seen.copies++;
    seen.differ ||= other.entities !== entry.entities;
    byFile.set(other.ref.file.file, seen);
  }
  const places = [...byFile].map(([file, { copies }]) => baseName(file) + (copies > 1 ? ` (${copies}×)` : ''));
  const differing = [...byFile].filter(([, seen]) => seen.differ).map(([file]) => baseName(file));
  const tags = differing.length === 0 ? 'with the same tags' : differing.length === byFile.size ? 'with different tags' : `with different tags in ${differing.join(', ')}`;
  const related: Related[] = elsewhere.slice(0, RELATED_MAX).map((other) => ({
    ...firstWord(other.ref.sentence),
    file: other.ref.file.file,
    message: other.entities === entry.entities ? 'the same sentence, the same tags' : 'the same sentence, different tags',
  }));
  return { code: 'split-leak', ...firstWord(entry.ref.sentence), message: `Sentence also in ${places.join(', ')}, ${tags}`, fixes: [], related };
}

function duplicateFinding(entry: Entry, first: Entry): Finding {
  const line = first.ref.sentence.lines[0] + 1;
  const tags = first.entities === entry.entities ? 'the same tags' : 'different tags';
  return {
    code: 'duplicate-sentence',
    ...firstWord(entry.ref.sentence),
    message: `Sentence repeats the one on line ${line} of this file, with ${tags}`,
    fixes: [],
    related: [{ ...firstWord(first.ref.sentence), message: `first occurrence, with ${tags}` }],
  };
}

/** The first token's word. Words start their line in the files this reads (a tab-separated first column). */
function firstWord(sentence: CorpusSentence): Span {
  return { line: sentence.lines[0], start: 0, end: sentence.words[0].length };
}

const byPlace = (a: Entry, b: Entry) => (a.ref.file.file < b.ref.file.file ? -1 : a.ref.file.file > b.ref.file.file ? 1 : a.ref.sentence.lines[0] - b.ref.sentence.lines[0]);

/** The last segment of a path or URI. */
const baseName = (file: string) => path.posix.basename(file.split('\\').join('/'));

/** 53-bit string hash (cyrb53): equal texts across a corpus of millions of sentences collide with odds under 1e-4. */
function hash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function deleteFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set?.delete(value) && set.size === 0) map.delete(key);
}

/** Adds `delta` to a count, dropping the key at zero. */
function count<K>(map: Map<K, number>, key: K, delta: number): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}
