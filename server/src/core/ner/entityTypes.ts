/** Which entity types a prediction shows: the types chosen for prose and the CLI, and those compared with gold tags. */

/** In a list of types, every type the model predicts. */
export const EVERY_TYPE = '*';

export interface TypeChoice {
  /** Undefined: every type. */
  types?: ReadonlySet<string>;
  /** Chosen names the model does not predict (a typo, or another model's type). */
  unknown: string[];
}

/** The types a list names among those the model predicts; `*` in the list chooses every type. */
export function chooseTypes(requested: readonly string[], predicted: ReadonlySet<string>): TypeChoice {
  const names = namedTypes(requested);
  if (!names) return { unknown: [] };
  return { types: new Set([...names].filter((name) => predicted.has(name))), unknown: [...names].filter((name) => !predicted.has(name)) };
}

/** The type names in a list, whether the model predicts them or not; undefined (every type) when it holds `*`. */
export function namedTypes(requested: readonly string[]): ReadonlySet<string> | undefined {
  const names = requested.map((name) => name.trim()).filter(Boolean);
  return names.includes(EVERY_TYPE) ? undefined : new Set(names);
}

/**
 * The types a gold annotation has, when the model predicts some of them and others besides: a BC5CDR file has no
 * Species, so the species a multi-corpus model finds there are neither disagreements nor false positives.
 * Undefined (every type) without annotated entities, or when nothing would be left out.
 */
export function comparedTypes(annotated: Iterable<string>, predicted: ReadonlySet<string>): ReadonlySet<string> | undefined {
  const gold = new Set(annotated);
  const restricts = [...predicted].some((type) => gold.has(type)) && [...predicted].some((type) => !gold.has(type));
  return restricts ? gold : undefined;
}
