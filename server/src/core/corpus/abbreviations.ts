/**
 * Abbreviations a file defines as no entity ("tidal volume ( VT )" all O): an abbreviation is local to its
 * document, so a VT left O shortly after such a definition is not the VT another abstract annotates.
 */
import type { Tag } from '../conll/tags';
import type { SentenceRef } from './detector';

/** How far after its definition, in lines, an abbreviation keeps the meaning given there (about one abstract). */
export const DEFINITION_REACH_LINES = 300;

/** Short, with capitals and no run of lower case: CP, VT, THP-1, CYP2D6, IL-2R. */
const ABBREVIATION = /^(?=.*[A-Z].*[A-Z0-9])(?!.*[a-z]{3})[A-Za-z0-9][A-Za-z0-9-]{0,9}$/;

export function isAbbreviation(word: string): boolean {
  return ABBREVIATION.test(word);
}

/** Token indices of abbreviations defined as no entity: "long form ( X )" with X and the word before "(" O. */
export function outsideDefinitions(words: readonly string[], tags: readonly (Tag | null)[]): number[] {
  const found: number[] = [];
  for (let i = 2; i + 1 < words.length; i++) {
    if (words[i - 1] !== '(' || words[i + 1] !== ')' || !isAbbreviation(words[i])) continue;
    if (tags[i]?.prefix === 'O' && tags[i - 2]?.prefix === 'O') found.push(i);
  }
  return found;
}

/** Per file and folded word id, the sentences that define it as no entity, and where in them. */
export class LocalAbbreviations {
  private readonly definitions = new Map<string, Map<number, Map<SentenceRef, number>>>();

  /** Records the sentence's definitions; returns the word ids whose definitions changed. */
  added(ref: SentenceRef, ids: Int32Array): number[] {
    const defined = outsideDefinitions(ref.sentence.words, ref.sentence.tags);
    if (defined.length === 0) return [];
    let byWord = this.definitions.get(ref.file.file);
    if (!byWord) this.definitions.set(ref.file.file, (byWord = new Map()));
    for (const token of defined) {
      const places = byWord.get(ids[token]) ?? byWord.set(ids[token], new Map()).get(ids[token])!;
      places.set(ref, token);
    }
    return defined.map((token) => ids[token]);
  }

  removed(ref: SentenceRef, ids: Int32Array): number[] {
    const byWord = this.definitions.get(ref.file.file);
    const changed: number[] = [];
    for (const token of outsideDefinitions(ref.sentence.words, ref.sentence.tags)) {
      const places = byWord?.get(ids[token]);
      if (!places?.delete(ref)) continue;
      changed.push(ids[token]);
      if (places.size === 0) byWord!.delete(ids[token]);
    }
    return changed;
  }

  /** Whether `file` defines the word as no entity on `line` or up to DEFINITION_REACH_LINES lines before it. */
  definedBefore(file: string, id: number, line: number): boolean {
    for (const [ref, token] of this.definitions.get(file)?.get(id) ?? []) {
      const at = ref.sentence.lines[token];
      if (at <= line && line - at <= DEFINITION_REACH_LINES) return true;
    }
    return false;
  }
}
