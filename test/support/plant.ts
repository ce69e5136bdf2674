/**
 * Plants annotation errors of every kind into a clean IOB2 file, one per chosen line, far apart, so a test can
 * check that the checker flags exactly the planted lines.
 */
export type PlantKind =
  | 'column-count'
  | 'empty-tag'
  | 'malformed-tag'
  | 'invalid-start'
  | 'type-switch'
  | 'label-typo'
  | 'mixed-scheme'
  | 'invisible-character'
  | 'whitespace-in-token';

export const PLANT_KINDS: PlantKind[] = [
  'column-count',
  'empty-tag',
  'malformed-tag',
  'invalid-start',
  'type-switch',
  'label-typo',
  'mixed-scheme',
  'invisible-character',
  'whitespace-in-token',
];

export interface Planted {
  text: string;
  /** Zero-based line → kind planted there. */
  lines: Map<number, PlantKind>;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  token: string;
  tag: string;
}

export function plantErrors(clean: string, seed: number, perKind = 3): Planted {
  const rand = random(seed);
  const lines = clean.split('\n');
  const rows: (Row | null)[] = lines.map((l) => {
    if (l === '' || l.startsWith('-DOCSTART-')) return null;
    const [token, tag] = l.split('\t');
    return { token, tag };
  });
  const types = [...new Set(rows.flatMap((r) => (r && r.tag !== 'O' ? [r.tag.slice(2)] : [])))];
  const planted = new Map<number, PlantKind>();
  const usable = (i: number) => {
    for (let d = -3; d <= 3; d++) if (planted.has(i + d)) return false;
    return rows[i] !== null;
  };
  const prev = (i: number) => rows[i - 1] ?? null;
  const next = (i: number) => rows[i + 1] ?? null;
  const typoType = (type: string) => (type.length > 4 ? type.slice(0, 2) + type.slice(3) : type + type.slice(-1));
  const candidates: Record<PlantKind, (r: Row, i: number) => string | null> = {
    'column-count': (r) => `${r.token} ${r.tag}`,
    'empty-tag': (r) => `${r.token}\t`,
    'malformed-tag': (r) => (r.tag.startsWith('B-') ? `${r.token}\t${pick(rand, [`B_${r.tag.slice(2)}`, `b-${r.tag.slice(2)}`, `X-${r.tag.slice(2)}`, 'B-'])}` : null),
    'invalid-start': (r, i) => (r.tag.startsWith('B-') && (!prev(i) || prev(i)!.tag === 'O') ? `${r.token}\tI-${r.tag.slice(2)}` : null),
    'type-switch': (r) => {
      const others = types.filter((t) => t !== r.tag.slice(2));
      return r.tag.startsWith('I-') && others.length ? `${r.token}\tI-${pick(rand, others)}` : null;
    },
    'label-typo': (r) => (r.tag.startsWith('B-') ? `${r.token}\tB-${typoType(r.tag.slice(2))}` : null),
    'mixed-scheme': (r, i) => (r.tag.startsWith('B-') && !next(i)?.tag.startsWith('I-') ? `${r.token}\tS-${r.tag.slice(2)}` : null),
    'invisible-character': (r) => (r.token.length > 2 ? `${r.token.slice(0, 1)}${pick(rand, ['\u200b', '\u00a0', '\u200e', '\u0007'])}${r.token.slice(1)}\t${r.tag}` : null),
    'whitespace-in-token': (r) => (r.token.length > 2 ? `${r.token.slice(0, 1)} ${r.token.slice(1)}\t${r.tag}` : null),
  };
  for (const kind of PLANT_KINDS) {
    let done = 0;
    for (let attempt = 0; attempt < 20000 && done < (kind === 'label-typo' ? 1 : perKind); attempt++) {
      const i = Math.floor(rand() * lines.length);
      if (!usable(i)) continue;
      const replacement = candidates[kind](rows[i]!, i);
      if (replacement === null) continue;
      lines[i] = replacement;
      planted.set(i, kind);
      done++;
    }
  }
  return { text: lines.join('\n'), lines: planted };
}

function pick<T>(rand: () => number, items: T[]): T {
  return items[Math.floor(rand() * items.length)];
}
