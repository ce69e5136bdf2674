/** Entity types far rarer than another type that is one or two edits away: probable typos. */
import type { Layout } from '../conll/layout';

export interface LabelTypo {
  type: string;
  /** The common type it most probably misspells. */
  intended: string;
  count: number;
  intendedCount: number;
  intendedFirstLine: number;
}

/** A typo is seen at most this many times, and the label it resembles at least RATIO times as often. */
const MAX_TYPO_COUNT = 3;
const RATIO = 10;

export function findLabelTypos(layout: Layout): Map<string, LabelTypo> {
  const typos = new Map<string, LabelTypo>();
  const types = [...layout.typeCounts];
  for (const [type, { count }] of types) {
    // One- and two-letter types (X, Y, NP) are names, not words: any letter change makes another valid name.
    if (count > MAX_TYPO_COUNT || type.length < 3) continue;
    let best: LabelTypo | undefined;
    for (const [other, seen] of types) {
      if (other === type || seen.count < RATIO * count) continue;
      const limit = Math.min(type.length, other.length) <= 4 ? 1 : 2;
      if (editDistance(type, other, limit) > limit) continue;
      if (!best || seen.count > best.intendedCount) {
        best = { type, intended: other, count, intendedCount: seen.count, intendedFirstLine: seen.firstLine };
      }
    }
    if (best) typos.set(type, best);
  }
  return typos;
}

/** Optimal-string-alignment distance (adjacent transpositions count 1); stops early above `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}
