/** The in-memory model every annotation format is read into and written from: texts with typed character spans. */
import { clip } from '../text/clip';
import { CodePoints } from './offsets';

/** An entity: UTF-16 offsets in its text (end exclusive), as JavaScript strings count. */
export interface EntitySpan {
  start: number;
  end: number;
  type: string;
  /** Where the span itself was read, when it has a line of its own (brat's `.ann`): messages about it point there. */
  origin?: string;
}

/** A word of a text, by its UTF-16 offsets. */
export interface TokenSpan {
  start: number;
  end: number;
}

/** One record (a doccano line, a Label Studio task, a Prodigy example, a line of a brat text, a BIO sentence). */
export interface AnnotatedText {
  text: string;
  spans: EntitySpan[];
  /** The words, when the source fixes them (BIO tokens, Prodigy tokens); otherwise the text is split when needed. */
  tokens?: TokenSpan[];
  /** Where the record is, for messages: `file:line` (the line it starts on). */
  location: string;
  /** Where the text starts in its file, in code points, when offsets there count from the file's start (brat). */
  fileOffset?: number;
}

/** Something that could not be represented as it is: where, and what was done instead. */
export interface Problem {
  location: string;
  message: string;
}

/** What a reader found: the records, the problems, and notes on what it ignored on purpose (counts, not errors). */
export interface Reading {
  documents: AnnotatedText[];
  problems: Problem[];
  notes: string[];
}

/** The formats a file can be read from and written to. */
export const CHARACTER_FORMATS = ['doccano', 'labelstudio', 'prodigy', 'brat'] as const;
export type CharacterFormat = (typeof CHARACTER_FORMATS)[number];
export const SCHEME_TARGETS = ['iob2', 'iobes'] as const;
export type SchemeTarget = (typeof SCHEME_TARGETS)[number];
export const TARGET_FORMATS = [...SCHEME_TARGETS, ...CHARACTER_FORMATS] as const;
export type TargetFormat = (typeof TARGET_FORMATS)[number];
export const SOURCE_FORMATS = ['bio', ...CHARACTER_FORMATS] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** "12-19 'aspirin' (Chemical)": a span of a record as messages quote it, with the offsets its file has (code points). */
export function describeSpan(document: Pick<AnnotatedText, 'text' | 'fileOffset'>, span: EntitySpan): string {
  const points = new CodePoints(document.text);
  const at = (offset: number) => (document.fileOffset ?? 0) + points.fromUnits(offset);
  return `${at(span.start)}-${at(span.end)} '${clip(document.text.slice(span.start, span.end))}' (${clip(span.type)})`;
}

/**
 * A span read from a file, its offsets in code points, checked against its text: integer offsets inside it, start
 * before end, a type. Returns the span in UTF-16 offsets, or a problem saying why it was skipped.
 */
export function checkedSpan(points: CodePoints, start: unknown, end: unknown, type: unknown, location: string): EntitySpan | Problem {
  if (!Number.isInteger(start) || !Number.isInteger(end)) return { location, message: `span offsets ${JSON.stringify(start)}, ${JSON.stringify(end)} are not integers; skipped` };
  if (typeof type !== 'string' || type.trim() === '') return { location, message: `span ${start}-${end} has no type (${JSON.stringify(type) ?? 'none'}); skipped` };
  const [s, e] = [start as number, end as number];
  if (s < 0 || e > points.length || s >= e) return { location, message: `span ${s}-${e} (${clip(type)}) is outside the text (${points.length} characters) or empty; skipped` };
  return { start: points.toUnits(s), end: points.toUnits(e), type };
}

export function isProblem(value: EntitySpan | Problem): value is Problem {
  return 'message' in value;
}

/** A type as BIO tags and brat write it, spaces as underscores; a change is a problem at `location`. */
export function spacelessType(type: string, format: string, location: string, problems: Problem[]): string {
  const written = type.replace(/\s+/g, '_');
  if (written !== type) problems.push({ location, message: `type '${clip(type)}' holds spaces, which ${format} does not allow; written as '${clip(written)}'` });
  return written;
}
