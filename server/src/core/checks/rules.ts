/** One-line descriptions of the diagnostic codes (SARIF rule metadata; README documents the same). */
import type { DiagnosticCode } from '@common/diagnostics';

export const RULE_HELP: Record<DiagnosticCode, string> = {
  'column-count': 'A token line has a different number of columns from the rest of the file.',
  'empty-tag': 'The tag column of a token line is empty.',
  'malformed-tag': "A tag that is neither 'O' nor PREFIX-Type (B_X, b-X, X-Y, B-).",
  'invalid-start': 'An entity starts with a continuation tag (I- in IOB2, I-/E- in IOBES, I-/L- in BILOU).',
  'unclosed-entity': 'IOBES/BILOU: an entity opened with B-/I- is not closed with E-/L-.',
  'type-switch': 'The entity type changes inside an entity (B-X followed by I-Y).',
  'label-typo': 'A label far rarer than another one that is one or two edits away: probably a typo.',
  'mixed-scheme': 'A tag of another tagging scheme than the file’s (e.g. S-X in an IOB2 file).',
  'invisible-character': 'A zero-width, no-break, bidirectional or control character in a token.',
  'whitespace-in-token': 'Whitespace inside a column of a tab-separated file.',
  'model-disagreement': 'The model confidently disagrees with the gold tags of a sentence (editor only, needs a model).',
};
