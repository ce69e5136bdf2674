/** Diagnostic codes: stable identifiers shown in the editor, the CLI and SARIF, each with its default severity and text. */

export const SEVERITY_NAMES = ['error', 'warning', 'information', 'hint', 'off'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/**
 * Every code, declared once: the settings manifest, SARIF rule metadata and the default severities derive from this
 * table, and a test holds README's "Diagnostic codes" table to it.
 */
export const DIAGNOSTICS = {
  'column-count': { severity: 'error', description: 'A token line has a different number of columns from the rest of the file.' },
  'empty-tag': { severity: 'error', description: 'The tag column of a token line is empty.' },
  'malformed-tag': { severity: 'error', description: 'A tag that is not O, a bare prefix, or PREFIX-Type (B_X, b-X, X-Y, B-).' },
  'invalid-start': { severity: 'error', description: 'An entity starts with a continuation tag (I- in IOB2, I-/E- in IOBES, I-/L- in BILOU).' },
  'unclosed-entity': { severity: 'error', description: 'IOBES/BILOU: an entity opened with B-/I- is not closed by E-/L- of its type.' },
  'type-switch': { severity: 'error', description: 'The type changes inside an entity (B-X followed by I-Y).' },
  'label-typo': { severity: 'warning', description: 'A label far rarer than the others and one or two edits away from a common one.' },
  'mixed-scheme': { severity: 'error', description: 'A tag of another scheme than the file’s (e.g. S-X or E-X in an IOB2 file).' },
  'invisible-character': { severity: 'warning', description: 'A token contains a zero-width, no-break, bidirectional or control character.' },
  'whitespace-in-token': { severity: 'warning', description: 'Whitespace inside a column of a tab-separated file.' },
  'type-conflict': {
    severity: 'warning',
    description: 'Tokens annotated with one type here and, far more often, with another type elsewhere in the corpus.',
  },
  'unannotated-occurrence': {
    severity: 'information',
    description: 'Tokens left O here that the corpus annotates as an entity at most of their other occurrences.',
  },
  'boundary-variation': {
    severity: 'information',
    description: 'Tokens covered here by an entity of another extent than the one the corpus annotates at most occurrences.',
  },
  'split-leak': { severity: 'warning', description: 'A sentence that also occurs, word for word, in another split of the corpus (train, dev, test).' },
  'duplicate-sentence': { severity: 'information', description: 'A sentence that repeats an earlier one of the same file, word for word.' },
  'type-missing-from-train': { severity: 'warning', description: 'An entity type of a dev or test file that no train file of the corpus has.' },
  'model-disagreement': {
    severity: 'information',
    description: 'The model confidently disagrees with the gold tags of a sentence (editor only, needs a model).',
  },
} as const satisfies Record<string, { severity: SeverityName; description: string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export const DIAGNOSTIC_CODES = Object.keys(DIAGNOSTICS) as DiagnosticCode[];

export const DEFAULT_SEVERITY = Object.fromEntries(DIAGNOSTIC_CODES.map((code) => [code, DIAGNOSTICS[code].severity])) as Record<
  DiagnosticCode,
  SeverityName
>;

export const DIAGNOSTIC_SOURCE = 'bioner';
