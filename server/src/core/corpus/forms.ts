/**
 * Surface-form consistency (variation n-grams, Dickinson & Meurers): every token sequence annotated as an entity
 * somewhere in a corpus is looked up at all its occurrences, and an occurrence read differently from a clear
 * majority is flagged: another type (type-conflict), left O (unannotated-occurrence), or covered by an entity of
 * another extent (boundary-variation). Kept up to date one sentence at a time.
 */
import type { CorpusWideFix, Finding, Fix, Related, SpanEdit } from '../checks/finding';
import { tagsForChunks } from '../conll/convert';
import { chunkEntities, type Chunk } from '../conll/sequence';
import { formatTag } from '../conll/tags';
import { clip } from '../text/clip';
import type { CorpusDetector, SentenceRef } from './detector';
import { isAbbreviation, LocalAbbreviations } from './abbreviations';
import { foldCase, isWeakWord } from './surfaceForms';

export interface FormThresholds {
  /** Fewest annotations of the majority reading before its minority occurrences are flagged. */
  minCount: number;
  /** Least share of the majority among the occurrences it is compared with. */
  minRatio: number;
}

export const DEFAULT_FORM_THRESHOLDS: FormThresholds = { minCount: 3, minRatio: 0.75 };

/** Longest entity, in tokens, whose surface form is followed across the corpus. */
const MAX_FORM_TOKENS = 10;
/** Majority occurrences shown as related information. */
const MAX_RELATED = 3;
/** Cover value of a token without a usable tag: the occurrence is not compared. */
const UNKNOWN = -2;

/** How one occurrence of a form is annotated. */
export type Reading =
  | { kind: 'exact'; type: string }
  /** Every token O. */
  | { kind: 'outside' }
  /** Strictly inside a longer entity: a legitimate part of another mention, never flagged. */
  | { kind: 'inside' }
  /** An entity covers part of it, or crosses its edge. */
  | { kind: 'partial' }
  | { kind: 'unknown' };

export interface Occurrence {
  ref: SentenceRef;
  start: number;
  end: number;
  reading: Reading;
}

class FormStats {
  readonly exact = new Map<string, number>();
  outside = 0;
  inside = 0;
  partial = 0;
  /** Bumped by every change of a count: lists of occurrences made before are stale. */
  counted = 0;
  /** What the thresholds make of the counts, and a number bumped when that changes: flags judged before are stale. */
  decision = '';
  version = 0;
  constructor(
    readonly ids: readonly number[],
    readonly text: string,
    /** Only function words, punctuation, numbers or single characters: never flagged as O or of another extent (a type conflict still is). */
    readonly weak: boolean,
  ) {}

  count(reading: Reading, by: number): void {
    this.counted++;
    if (reading.kind === 'exact') this.exact.set(reading.type, (this.exact.get(reading.type) ?? 0) + by);
    else if (reading.kind !== 'unknown') this[reading.kind] += by;
  }

  annotated(): number {
    let sum = 0;
    for (const n of this.exact.values()) sum += n;
    return sum;
  }

  /** The most frequent type, unless two types tie: a tied majority suggests nothing. */
  majority(): { type: string; count: number } | undefined {
    let best: { type: string; count: number } | undefined;
    let tied = false;
    for (const [type, count] of this.exact) {
      if (!best || count > best.count) [best, tied] = [{ type, count }, false];
      else if (count === best.count) tied = true;
    }
    return tied ? undefined : best;
  }
}

interface TrieNode {
  next?: Map<number, TrieNode>;
  form?: FormStats;
}

/** A sentence as this check reads it: folded word ids, entities, and which entity covers each token. */
interface Indexed {
  ref: SentenceRef;
  ids: Int32Array;
  chunks: Chunk[];
  cover: Int32Array;
}

interface Flag {
  code: 'type-conflict' | 'unannotated-occurrence' | 'boundary-variation';
  at: Indexed;
  start: number;
  end: number;
  form: FormStats;
  majority: { type: string; count: number };
  reading: Reading;
}

export class SurfaceFormConsistency implements CorpusDetector {
  private readonly vocabulary = new Map<string, number>();
  private readonly sentences = new Map<number, Indexed>();
  private readonly byFile = new Map<string, Set<Indexed>>();
  /** Sentence ids per word id, in insertion order; ids of removed sentences are skipped when read. */
  private readonly postings: number[][] = [];
  private readonly root: TrieNode = {};
  private readonly forms: FormStats[] = [];
  private readonly abbreviations = new LocalAbbreviations();
  /** Counts are built on the first question: a bulk load then costs one pass, not one update per sentence. */
  private built = false;
  /** Flags per sentence id and occurrences per form, each with the versions of the forms it was derived from. */
  private readonly flagCache = new Map<number, { flags: Flag[]; forms: FormStats[]; versions: number[] }>();
  private readonly occurrenceCache = new Map<FormStats, { list: Occurrence[]; version: number }>();
  /** Each file's sentences in line order, sorted again after a file gained sentences. */
  private readonly ordered = new Map<string, Indexed[]>();

  constructor(private readonly thresholds: FormThresholds = DEFAULT_FORM_THRESHOLDS) {}

  added(ref: SentenceRef): void {
    const at = this.index(ref);
    this.sentences.set(ref.id, at);
    let files = this.byFile.get(ref.file.file);
    if (!files) this.byFile.set(ref.file.file, (files = new Set()));
    files.add(at);
    this.ordered.delete(ref.file.file);
    at.ids.forEach((id) => {
      const list = (this.postings[id] ??= []);
      if (list[list.length - 1] !== ref.id) list.push(ref.id);
    });
    this.forgetFlagsOf(ref.file.file, this.abbreviations.added(ref, at.ids));
    if (!this.built) return;
    // A form seen for the first time is counted at all its occurrences (this sentence's included); known forms
    // only gain this sentence's occurrences.
    const fresh = new Set<FormStats>();
    for (const chunk of at.chunks) {
      const node = this.formNode(at, chunk);
      if (node && !node.form) {
        node.form = this.newForm(at, chunk);
        fresh.add(node.form);
        for (const occurrence of this.occurrencesOf(node.form.ids)) {
          node.form.count(occurrence.reading, 1);
          // Flags cached before the form existed do not depend on it: judge those sentences again.
          this.flagCache.delete(occurrence.ref.id);
        }
      }
    }
    const touched = new Set(fresh);
    this.walk(at, (start, end, form) => {
      touched.add(form);
      if (!fresh.has(form)) form.count(this.read(at, start, end), 1);
    });
    this.settle(touched);
  }

  removed(ref: SentenceRef): void {
    const at = this.sentences.get(ref.id);
    if (!at) return;
    if (this.built) {
      const touched = new Set<FormStats>();
      this.walk(at, (start, end, form) => {
        touched.add(form);
        form.count(this.read(at, start, end), -1);
      });
      this.settle(touched);
    }
    this.sentences.delete(ref.id);
    this.flagCache.delete(ref.id);
    this.forgetFlagsOf(ref.file.file, this.abbreviations.removed(ref, at.ids));
    const ordered = this.ordered.get(ref.file.file);
    const position = ordered?.indexOf(at) ?? -1;
    if (position >= 0) ordered!.splice(position, 1);
    const files = this.byFile.get(ref.file.file);
    files?.delete(at);
    if (files?.size === 0) this.byFile.delete(ref.file.file);
  }

  findings(file: string, limit = Infinity): Finding[] {
    this.build();
    const findings: Finding[] = [];
    for (const at of this.inOrder(file)) {
      for (const flag of this.cachedFlags(at)) {
        if (findings.length >= limit) return findings;
        findings.push(this.finding(flag));
      }
    }
    return findings;
  }

  private inOrder(file: string): Indexed[] {
    let list = this.ordered.get(file);
    if (!list) {
      list = [...(this.byFile.get(file) ?? [])].sort((a, b) => a.ref.sentence.lines[0] - b.ref.sentence.lines[0]);
      this.ordered.set(file, list);
    }
    return list;
  }

  /**
   * Bumps the version of forms whose counts now pass or fail other thresholds. Only then can a flag appear or go:
   * messages read the counts when made, so a form that merely counts one more keeps its sentences' flags.
   */
  private settle(forms: Iterable<FormStats>): void {
    for (const form of forms) {
      const decision = this.decisionOf(form);
      if (decision === form.decision) continue;
      form.decision = decision;
      form.version++;
    }
  }

  private decisionOf(form: FormStats): string {
    const majority = form.majority();
    const { minCount, minRatio } = this.thresholds;
    if (!majority || majority.count < minCount) return '';
    const annotated = form.annotated();
    const passes = (compared: number) => (majority.count / compared >= minRatio ? 1 : 0);
    return `${majority.type}:${passes(annotated)}${passes(annotated + form.outside + form.partial)}${passes(annotated + form.partial)}`;
  }

  private definedHereAsNoEntity(at: Indexed, token: number): boolean {
    const { sentence, file } = at.ref;
    return isAbbreviation(sentence.words[token]) && this.abbreviations.definedBefore(file.file, at.ids[token], sentence.lines[token]);
  }

  /** Cached flags of a file's sentences holding these words are stale (a definition of them came or went). */
  private forgetFlagsOf(file: string, ids: readonly number[]): void {
    for (const id of ids) {
      for (const sentence of this.postings[id] ?? []) if (this.sentences.get(sentence)?.ref.file.file === file) this.flagCache.delete(sentence);
    }
  }

  /** A sentence's flags, judged again only when a form occurring in it changed its decision since. */
  private cachedFlags(at: Indexed): Flag[] {
    const cached = this.flagCache.get(at.ref.id);
    if (cached && cached.forms.every((form, i) => form.version === cached.versions[i])) return cached.flags;
    const forms: FormStats[] = [];
    this.walk(at, (_start, _end, form) => forms.push(form));
    const flags = this.flagsOf(at);
    this.flagCache.set(at.ref.id, { flags, forms, versions: forms.map((form) => form.version) });
    return flags;
  }

  /** The occurrences of a form, kept until its counts change. */
  private occurrencesOfForm(form: FormStats): Occurrence[] {
    const cached = this.occurrenceCache.get(form);
    if (cached?.version === form.counted) return cached.list;
    const list = this.occurrencesOf(form.ids);
    this.occurrenceCache.set(form, { list, version: form.counted });
    return list;
  }

  /** Every occurrence of a word sequence in the corpus, with how each is annotated. */
  occurrences(words: readonly string[]): Occurrence[] {
    const ids = words.map((word) => this.vocabulary.get(foldCase(word)));
    if (ids.length === 0 || ids.some((id) => id === undefined)) return [];
    return this.occurrencesOf(ids as number[]);
  }

  /** The entity covering a token of an indexed sentence. */
  entityAt(ref: SentenceRef, token: number): Chunk | undefined {
    const at = this.sentences.get(ref.id);
    const c = at?.cover[token] ?? -1;
    return c >= 0 ? at!.chunks[c] : undefined;
  }

  /** Occurrences of the annotated forms whose text contains `query` (any case), most annotated forms first. */
  annotatedMatching(query: string, limit: number): Occurrence[] {
    this.build();
    const needle = query.toLowerCase();
    const matching = this.forms.filter((form) => form.text.toLowerCase().includes(needle) && form.annotated() > 0);
    matching.sort((a, b) => b.annotated() - a.annotated());
    const found: Occurrence[] = [];
    for (const form of matching) {
      for (const occurrence of this.occurrencesOf(form.ids)) {
        if (found.length >= limit) return found;
        if (occurrence.reading.kind === 'exact') found.push(occurrence);
      }
    }
    return found;
  }

  private build(): void {
    if (this.built) return;
    for (const at of this.sentences.values()) {
      for (const chunk of at.chunks) {
        const node = this.formNode(at, chunk);
        if (node && !node.form) node.form = this.newForm(at, chunk);
      }
    }
    for (const at of this.sentences.values()) this.walk(at, (start, end, form) => form.count(this.read(at, start, end), 1));
    for (const form of this.forms) form.decision = this.decisionOf(form);
    this.built = true;
  }

  private index(ref: SentenceRef): Indexed {
    const { words, tags } = ref.sentence;
    const ids = new Int32Array(words.length);
    words.forEach((word, i) => {
      const folded = foldCase(word);
      let id = this.vocabulary.get(folded);
      if (id === undefined) this.vocabulary.set(folded, (id = this.vocabulary.size));
      ids[i] = id;
    });
    const chunks = chunkEntities(tags).filter((chunk) => chunk.type !== '');
    const cover = new Int32Array(words.length).fill(-1);
    chunks.forEach((chunk, c) => cover.fill(c, chunk.start, chunk.end));
    tags.forEach((tag, i) => {
      if (!tag) cover[i] = UNKNOWN;
    });
    return { ref, ids, chunks, cover };
  }

  /** The trie node of an entity's words, created on the way; none for entities too long to follow. */
  private formNode(at: Indexed, chunk: Chunk): TrieNode | undefined {
    if (chunk.end - chunk.start > MAX_FORM_TOKENS) return undefined;
    let node = this.root;
    for (let i = chunk.start; i < chunk.end; i++) {
      node.next ??= new Map();
      let child = node.next.get(at.ids[i]);
      if (!child) node.next.set(at.ids[i], (child = {}));
      node = child;
    }
    return node;
  }

  private newForm(at: Indexed, chunk: Chunk): FormStats {
    const ids = Array.from(at.ids.subarray(chunk.start, chunk.end));
    const words = at.ref.sentence.words.slice(chunk.start, chunk.end);
    const form = new FormStats(ids, words.join(' '), words.every((word) => isWeakWord(foldCase(word))));
    this.forms.push(form);
    return form;
  }

  /** Calls `visit` for every occurrence of a known form in the sentence. */
  private walk(at: Indexed, visit: (start: number, end: number, form: FormStats) => void): void {
    const { ids } = at;
    for (let start = 0; start < ids.length; start++) {
      let node: TrieNode | undefined = this.root;
      for (let end = start; end < ids.length && end - start < MAX_FORM_TOKENS; end++) {
        node = node.next?.get(ids[end]);
        if (!node) break;
        if (node.form) visit(start, end + 1, node.form);
      }
    }
  }

  private read(at: Indexed, start: number, end: number): Reading {
    const { cover, chunks } = at;
    let outside = true;
    let same = true;
    for (let i = start; i < end; i++) {
      if (cover[i] === UNKNOWN) return { kind: 'unknown' };
      if (cover[i] >= 0) outside = false;
      if (cover[i] !== cover[start]) same = false;
    }
    if (outside) return { kind: 'outside' };
    const chunk = chunks[cover[start]];
    if (same && chunk) return chunk.start === start && chunk.end === end ? { kind: 'exact', type: chunk.type } : { kind: 'inside' };
    return { kind: 'partial' };
  }

  /** Occurrences of folded word ids, found through the postings of the rarest of them, in file and line order. */
  private occurrencesOf(ids: readonly number[]): Occurrence[] {
    let rarest = 0;
    for (let k = 1; k < ids.length; k++) if ((this.postings[ids[k]]?.length ?? 0) < (this.postings[ids[rarest]]?.length ?? 0)) rarest = k;
    const found: Occurrence[] = [];
    for (const id of this.postings[ids[rarest]] ?? []) {
      const at = this.sentences.get(id);
      if (!at) continue;
      for (let start = 0; start + ids.length <= at.ids.length; start++) {
        let k = 0;
        while (k < ids.length && at.ids[start + k] === ids[k]) k++;
        if (k === ids.length) found.push({ ref: at.ref, start, end: start + k, reading: this.read(at, start, start + k) });
      }
    }
    // Postings follow the history of edits; places shown must not.
    return found.sort((a, b) => (a.ref.file.file < b.ref.file.file ? -1 : a.ref.file.file > b.ref.file.file ? 1 : a.ref.sentence.lines[a.start] - b.ref.sentence.lines[b.start]));
  }

  /** The minority occurrences of a sentence; where two overlap, the longer one. */
  private flagsOf(at: Indexed): Flag[] {
    const flags: Flag[] = [];
    this.walk(at, (start, end, form) => {
      const flag = this.judge(at, start, end, form);
      if (flag) flags.push(flag);
    });
    return flags.filter((flag) => !flags.some((other) => other !== flag && other.start <= flag.start && other.end >= flag.end && other.end - other.start > flag.end - flag.start));
  }

  private judge(at: Indexed, start: number, end: number, form: FormStats): Flag | undefined {
    const majority = form.majority();
    const { minCount, minRatio } = this.thresholds;
    if (!majority || majority.count < minCount) return undefined;
    const reading = this.read(at, start, end);
    const flag = (code: Flag['code'], compared: number): Flag | undefined =>
      majority.count / compared >= minRatio ? { code, at, start, end, form, majority, reading } : undefined;
    if (reading.kind === 'exact') return reading.type === majority.type ? undefined : flag('type-conflict', form.annotated());
    if (form.weak) return undefined;
    if (reading.kind === 'outside') {
      if (form.ids.length === 1 && this.definedHereAsNoEntity(at, start)) return undefined;
      return flag('unannotated-occurrence', form.annotated() + form.outside + form.partial);
    }
    if (reading.kind === 'partial') return flag('boundary-variation', form.annotated() + form.partial);
    return undefined;
  }

  private finding(flag: Flag): Finding {
    const { at, start, form } = flag;
    const majority = liveMajority(flag);
    const { sentence } = at.ref;
    const line = sentence.lines[start];
    const end = Math.max(sentence.tagEnds[start], sentence.words[start].length);
    const text = `'${clip(sentence.words.slice(start, flag.end).join(' '))}'`;
    return {
      code: flag.code,
      line,
      start: 0,
      end,
      message: `${text} is annotated ${majority.type} ${majority.count}×${this.otherTypes(form, majority.type)}; ${this.here(flag)}`,
      fixes: this.fixes(flag),
      related: this.majorityPlaces(flag),
    };
  }

  private otherTypes(form: FormStats, majority: string): string {
    // Types whose last annotation was removed keep a zero count; the rest by count, then name, so that the message
    // does not depend on the order annotations came and went.
    const others = [...form.exact]
      .filter(([type, n]) => type !== majority && n > 0)
      .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
      .map(([type, n]) => `${type} ${n}×`);
    return others.length > 0 ? `, ${others.join(', ')}` : '';
  }

  /** "O here and 2× elsewhere": this occurrence's reading and how often the corpus repeats it. */
  private here(flag: Flag): string {
    const { form, reading, at, start, end } = flag;
    const elsewhere = (n: number) => (n > 1 ? ` and ${n - 1}× elsewhere` : '');
    if (reading.kind === 'exact') return `${reading.type} here${elsewhere(form.exact.get(reading.type)!)}`;
    if (reading.kind === 'outside') return `O here${elsewhere(form.outside)}`;
    const crossing = at.chunks.filter((chunk) => chunk.start < end && chunk.end > start);
    const words = (chunk: Chunk) => `'${clip(at.ref.sentence.words.slice(chunk.start, chunk.end).join(' '))}'`;
    return `here ${crossing.map((chunk) => `${words(chunk)} is ${chunk.type}`).join(' and ')}${elsewhere(form.partial).replace('elsewhere', 'elsewhere with other extents')}`;
  }

  private fixes(flag: Flag): Fix[] {
    const { at, start, end, reading, form } = flag;
    const majority = liveMajority(flag);
    const verb = reading.kind === 'exact' ? 'Change to' : 'Annotate as';
    const fixes: Fix[] = [{ title: `${verb} ${majority.type} (as ${majority.count}× elsewhere)`, edits: this.annotate(at, start, end, majority.type), preferred: true }];
    if (reading.kind !== 'exact' && reading.kind !== 'outside') return fixes;
    // Every occurrence read as this one is, across the corpus, in one reviewed edit made when chosen.
    const alike = reading.kind === 'exact' ? form.exact.get(reading.type)! : form.outside;
    if (alike < 2) return fixes;
    const words = at.ref.sentence.words.slice(start, end);
    const text = `'${clip(words.join(' '))}'`;
    const title =
      reading.kind === 'exact'
        ? `Change all ${alike} occurrences of ${text} annotated ${reading.type} to ${majority.type}`
        : `Annotate all ${alike} unannotated occurrences of ${text} as ${majority.type}`;
    fixes.push({ title, edits: [], corpusWide: { words, from: reading.kind === 'exact' ? reading.type : 'O', to: majority.type } });
    return fixes;
  }

  /** The edits of a corpus-wide fix: every occurrence of `words` read as `from` annotated `to`, per file. */
  corpusWideEdits({ words, from, to }: CorpusWideFix): SpanEdit[] {
    return this.occurrences(words)
      .filter(({ reading }) => (from === 'O' ? reading.kind === 'outside' : reading.kind === 'exact' && reading.type === from))
      .flatMap((o) => this.annotate(this.sentences.get(o.ref.id)!, o.start, o.end, to).map((edit) => ({ ...edit, file: o.ref.file.file })));
  }

  /** Tag edits that make [start, end) one entity of `type`; entities crossing its edges keep their parts outside it. */
  private annotate(at: Indexed, start: number, end: number, type: string): SpanEdit[] {
    const { sentence } = at.ref;
    const chunks: Chunk[] = [{ type, start, end }];
    for (const chunk of at.chunks) {
      if (chunk.end <= start || chunk.start >= end) chunks.push(chunk);
      else {
        if (chunk.start < start) chunks.push({ ...chunk, end: start });
        if (chunk.end > end) chunks.push({ ...chunk, start: end });
      }
    }
    const tags = tagsForChunks(chunks, sentence.words.length, at.ref.file.scheme);
    const edits: SpanEdit[] = [];
    tags.forEach((tag, i) => {
      const current = sentence.tags[i];
      if (!current || sentence.tagStarts[i] < 0 || formatTag(current) === tag) return;
      edits.push({ line: sentence.lines[i], start: sentence.tagStarts[i], end: sentence.tagEnds[i], newText: tag });
    });
    return edits;
  }

  private majorityPlaces(flag: Flag): Related[] {
    const places: Related[] = [];
    for (const occurrence of this.occurrencesOfForm(flag.form)) {
      if (places.length >= MAX_RELATED) break;
      const { reading, ref, start } = occurrence;
      if (reading.kind !== 'exact' || reading.type !== flag.majority.type) continue;
      const line = ref.sentence.lines[start];
      const other = ref.file.file !== flag.at.ref.file.file;
      places.push({ line, start: 0, end: ref.sentence.words[start].length, message: `Annotated ${reading.type} here`, ...(other && { file: ref.file.file }) });
    }
    return places;
  }
}

/** The majority's count now: a cached flag keeps its majority type (a change of type re-judges it), not its count. */
function liveMajority({ form, majority }: Flag): { type: string; count: number } {
  return { type: majority.type, count: form.exact.get(majority.type) ?? 0 };
}
