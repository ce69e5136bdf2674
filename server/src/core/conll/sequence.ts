/** Tag sequences of one sentence: transition rules per scheme, scheme mixing, and entity chunking. */
import { formatTag, isClosing, isSingle, prefixInScheme, SCHEME_PREFIXES, type Prefix, type Scheme, type Tag } from './tags';
import { clip } from '../text/clip';

export type SequenceCode = 'invalid-start' | 'unclosed-entity' | 'type-switch';

export interface SequenceIssue {
  index: number;
  code: SequenceCode;
  message: string;
  /** Replacement tags for the token at `index`, the most likely first. */
  suggestions: string[];
}

/** A sentence's tags; null where a token has no usable tag (missing or malformed). */
export type TagSequence = readonly (Tag | null)[];

/**
 * Reads tags of other schemes as their nearest equivalent in `scheme` (S-X → B-X in IOB2, E-X → I-X when it
 * continues an entity, else B-X), so that a mixed-scheme tag is reported once and not again as a transition.
 */
export function mapToScheme(tags: TagSequence, scheme: Scheme): (Tag | null)[] {
  const mapped: (Tag | null)[] = [];
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (!tag || SCHEME_PREFIXES[scheme].has(tag.prefix)) {
      mapped.push(tag);
      continue;
    }
    let prefix = prefixInScheme(tag.prefix, scheme);
    const previous = mapped[i - 1];
    const continues = previous != null && previous.type === tag.type && (previous.prefix === 'B' || previous.prefix === 'I');
    if ((scheme === 'IOB1' || scheme === 'IOB2') && prefix === 'I' && !continues) prefix = 'B';
    mapped.push({ prefix, type: tag.type });
  }
  return mapped;
}

const UNKNOWN = Symbol('unknown');
type Open = string | null | typeof UNKNOWN;

/** Transition errors of a sentence whose tags all belong to `scheme`. IOB1 allows every transition. */
export function validateSequence(tags: TagSequence, scheme: Scheme): SequenceIssue[] {
  if (scheme === 'IOB1') return [];
  return scheme === 'IOB2' ? validateIob2(tags) : validateWithEnds(tags, scheme);
}

function typeSwitch(index: number, tag: Tag, open: string): SequenceIssue {
  return {
    index,
    code: 'type-switch',
    message: `'${clip(formatTag(tag))}' switches type inside a ${describeType(open)} entity`,
    suggestions: [formatTag({ prefix: tag.prefix, type: open }), formatTag({ prefix: 'B', type: tag.type })],
  };
}

function describeType(type: string): string {
  return type ? `'${clip(type)}'` : 'untyped';
}

function validateIob2(tags: TagSequence): SequenceIssue[] {
  const issues: SequenceIssue[] = [];
  let open: Open = null;
  tags.forEach((tag, index) => {
    if (!tag) open = UNKNOWN;
    else if (tag.prefix === 'O') open = null;
    else if (tag.prefix === 'B') open = tag.type;
    else if (open === UNKNOWN) open = tag.type;
    else if (open === null) {
      issues.push({
        index,
        code: 'invalid-start',
        message: `'${clip(formatTag(tag))}' starts an entity; in IOB2 an entity starts with B-`,
        suggestions: [formatTag({ prefix: 'B', type: tag.type })],
      });
      open = tag.type;
    } else if (open !== tag.type) issues.push(typeSwitch(index, tag, open));
  });
  return issues;
}

/** IOBES and BILOU: entities open with B, continue with I, close with E/L; S/U are single-token entities. */
function validateWithEnds(tags: TagSequence, scheme: Scheme): SequenceIssue[] {
  const issues: SequenceIssue[] = [];
  const [closing, single] = scheme === 'BILOU' ? (['L', 'U'] as const) : (['E', 'S'] as const);
  let open: Open = null;
  const closeOpenEntity = (before: number) => {
    if (typeof open !== 'string') return;
    const last = tags[before]!;
    const fixed = formatTag({ prefix: last.prefix === 'B' ? single : closing, type: last.type });
    issues.push({
      index: before,
      code: 'unclosed-entity',
      message: `the ${describeType(open)} entity is not closed: in ${scheme} its last token is tagged ${closing}- (or ${single}- for a single token)`,
      suggestions: [fixed],
    });
  };
  tags.forEach((tag, index) => {
    if (!tag) {
      open = UNKNOWN;
      return;
    }
    const { prefix } = tag;
    if (prefix === 'O' || prefix === 'B' || isSingle(prefix)) {
      closeOpenEntity(index - 1);
      open = prefix === 'B' ? tag.type : null;
      return;
    }
    if (open === null) {
      const next = tags[index + 1];
      const nextContinues = next != null && next.type === tag.type && (next.prefix === 'I' || isClosing(next.prefix));
      const startPrefix: Prefix = nextContinues ? 'B' : single;
      issues.push({
        index,
        code: 'invalid-start',
        message: `'${clip(formatTag(tag))}' starts an entity; in ${scheme} an entity starts with B- (or ${single}- for a single token)`,
        suggestions: [formatTag({ prefix: startPrefix, type: tag.type })],
      });
      open = nextContinues ? tag.type : null;
      return;
    }
    if (open !== UNKNOWN && open !== tag.type) issues.push(typeSwitch(index, tag, open));
    else if (open === UNKNOWN) open = tag.type;
    if (isClosing(prefix)) open = null;
  });
  closeOpenEntity(tags.length - 1);
  return issues;
}

/** How badly a sentence fits a scheme: foreign prefixes plus transition errors (IOB1: B-tags that open entities). */
export function schemeViolations(tags: TagSequence, scheme: Scheme): number {
  let foreign = 0;
  for (const tag of tags) if (tag && !SCHEME_PREFIXES[scheme].has(tag.prefix)) foreign++;
  const mapped = mapToScheme(tags, scheme);
  if (scheme !== 'IOB1') return foreign + validateSequence(mapped, scheme).length;
  let openers = 0;
  mapped.forEach((tag, i) => {
    const previous = mapped[i - 1];
    if (tag?.prefix === 'B' && !(previous && previous.prefix !== 'O' && previous.type === tag.type)) openers++;
  });
  return foreign + openers;
}

export interface Chunk {
  type: string;
  /** Token indices, end exclusive. */
  start: number;
  end: number;
}

/**
 * Entities of a tag sequence, chunked as conlleval does for every scheme: B/S/U always open, I/E/L continue an
 * entity of their type or open one, E/L/S/U close, O and null close.
 */
export function chunkEntities(tags: TagSequence): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk | null = null;
  tags.forEach((tag, index) => {
    if (!tag || tag.prefix === 'O') {
      current = null;
      return;
    }
    const opens = tag.prefix === 'B' || isSingle(tag.prefix) || current === null || current.type !== tag.type;
    if (opens) {
      current = { type: tag.type, start: index, end: index + 1 };
      chunks.push(current);
    } else current!.end = index + 1;
    if (isSingle(tag.prefix) || isClosing(tag.prefix)) current = null;
  });
  return chunks;
}
