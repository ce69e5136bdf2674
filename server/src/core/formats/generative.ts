/**
 * Outputs of generative (LLM) taggers, one answer per sentence, read as the entity strings they name:
 * - markers: one line a sentence, entities wrapped as `@@entity##` (GPT-NER), `@@entity##Type` or `<Type>entity</Type>`;
 * - json: one line a sentence holding a list of `{"entity", "type"}` (or `{"text", "label"}`; or `{"entities": [...]}`),
 *   or one JSON array of such lists;
 * - typed: one block a sentence, blocks separated by blank lines, each line `Type: entity; entity` (`none` or nothing
 *   when the type has no entity), as type-by-type prompting answers.
 */
import { clip } from '../text/clip';
import { sentencesOf, splitWords } from './words';
import { isObject, parseJson } from './json';
import type { Problem } from './model';

export const GENERATIVE_STYLES = { enum: ['auto', 'markers', 'json', 'typed'], default: 'auto' } as const;
export type GenerativeStyle = Exclude<(typeof GENERATIVE_STYLES.enum)[number], 'auto'>;

export interface Mention {
  /** The entity's words, as the engine's splitter cuts them. */
  words: string[];
  type?: string;
  /** It is the k-th mention of these words in its answer (0-based), comparing words exactly and ignoring case. */
  rank: { exact: number; folded: number };
  /** Markers only: the mention's place among the words of the line without its markers, [start, end). */
  at?: { start: number; end: number };
  location: string;
}

export interface Answer {
  mentions: Mention[];
  /** Markers only: the words of the line without its markers, to place mentions by position when they equal the sentence's. */
  words?: string[];
  location: string;
}

export interface ParsedAnswers {
  style: GenerativeStyle;
  answers: Answer[];
  problems: Problem[];
}

/**
 * The answers of a file in `style`; `auto`: JSON when it starts with `[` or `{`, typed when every non-blank line reads
 * `Type: …` and its blocks are as many as the gold sentences, else markers.
 */
export function parseAnswers(text: string, file: string, style: GenerativeStyle | 'auto', goldSentences: number): ParsedAnswers {
  const body = text.replace(/^\uFEFF/, '');
  const chosen = style !== 'auto' ? style : /^\s*[[{]/.test(body) ? 'json' : looksTyped(body, goldSentences) ? 'typed' : 'markers';
  const parsed = chosen === 'json' ? parseJsonAnswers(body, file) : chosen === 'typed' ? parseTypedAnswers(body, file) : parseMarkerAnswers(body, file);
  return { style: chosen, ...parsed };
}

type Parsed = { answers: Answer[]; problems: Problem[] };

/** Lines of a text with their 1-based numbers; the empty line after a final line break is none. */
function numberedLines(text: string): { text: string; number: number }[] {
  const lines = text.split(/\r?\n|\r/).map((t, i) => ({ text: t, number: i + 1 }));
  if (lines.length && lines[lines.length - 1].text === '') lines.pop();
  return lines;
}

/** `@@entity##`, `@@entity##Type` (the type directly after ##), `<Type>entity</Type>`. */
const MARKER = /@@(.+?)##([\p{L}_][\p{L}\p{N}_-]*)?|<([\p{L}_][\p{L}\p{N}_.-]*)>(.+?)<\/\3>/gu;

function parseMarkerAnswers(text: string, file: string): Parsed {
  const answers = numberedLines(text).map(({ text: line, number }) => {
    const location = `${file}:${number}`;
    let plain = '';
    let from = 0;
    const marked: { start: number; end: number; type?: string }[] = [];
    for (const m of line.matchAll(MARKER)) {
      plain += line.slice(from, m.index);
      const entity = m[1] ?? m[4];
      marked.push({ start: plain.length, end: plain.length + entity.length, type: m[2] ?? m[3] });
      plain += entity;
      from = m.index! + m[0].length;
    }
    plain += line.slice(from);
    // The mentions' places in words: words before a mention's start, and those up to its end.
    const words = sentencesOf(plain, 'prose').flat();
    const wordsBefore = (offset: number) => words.filter((w) => w.start < offset).length;
    const texts = words.map((w) => plain.slice(w.start, w.end));
    const mentions = marked.map(({ start, end, type }) => {
      const at = { start: wordsBefore(start), end: wordsBefore(end) };
      const entity = texts.slice(at.start, at.end);
      // The k-th occurrence of these words in the line, marked or not, is the k-th in the sentence.
      const rank = { exact: occurrencesBefore(texts, entity, at.start, false), folded: occurrencesBefore(texts, entity, at.start, true) };
      return { words: entity, type, rank, at, location };
    });
    return { mentions, words: texts, location };
  });
  return { answers, problems: [] };
}

/** How many times `words` occur in `texts` starting before `end`. */
function occurrencesBefore(texts: readonly string[], words: readonly string[], end: number, fold: boolean): number {
  const same = fold ? (a: string, b: string) => a.toLowerCase() === b.toLowerCase() : (a: string, b: string) => a === b;
  let count = 0;
  for (let i = 0; i < end; i++) if (words.length && words.every((w, k) => i + k < texts.length && same(texts[i + k], w))) count++;
  return count;
}

function parseJsonAnswers(text: string, file: string): Parsed {
  const problems: Problem[] = [];
  const whole = parseJson(text);
  const lists =
    whole.ok && Array.isArray(whole.value) && whole.value.every(Array.isArray)
      ? whole.value.map((value: unknown, i) => ({ value, location: `${file}: answer ${i + 1}` }))
      : // JSON Lines: one list a line; a blank line is an answer without entities.
        numberedLines(text).map(({ text: line, number }) => ({ value: line.trim() === '' ? [] : parseOrProblem(line, `${file}:${number}`, problems), location: `${file}:${number}` }));
  const answers = lists.map(({ value, location }) => {
    // A list, or an object holding one as "entities" (what JSON modes that want an object give).
    const items: unknown[] | undefined = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.entities) ? value.entities : undefined;
    if (!items && value !== undefined) problems.push({ location, message: 'not a list of entities; read as none' });
    const mentions = (items ?? []).flatMap((item, i) => {
      const entity = isObject(item) ? (item.entity ?? item.text) : undefined;
      const type = isObject(item) ? (item.type ?? item.label) : undefined;
      if (typeof entity !== 'string' || (type !== undefined && typeof type !== 'string')) {
        problems.push({ location, message: `item ${i + 1} (${clip(JSON.stringify(item) ?? '')}) is not {"entity", "type"} or {"text", "label"}; skipped` });
        return [];
      }
      return [{ words: splitWords(entity), type, location }];
    });
    return { mentions: ranked(mentions), location };
  });
  return { answers, problems };
}

function parseOrProblem(line: string, location: string, problems: Problem[]): unknown {
  const parsed = parseJson(line);
  if (parsed.ok) return parsed.value;
  problems.push({ location, message: `not valid JSON (${parsed.error}); read as no entity` });
  return undefined;
}

/** `Type: a; b`: the type (letters, digits, spaces, _ . -) before the first colon. */
const TYPED_LINE = /^\s*([\p{L}_][\p{L}\p{N} _.-]{0,60}?)\s*:\s*(.*)$/u;
/** What an answer writes for "no entity of this type". */
const NONE = /^(?:none|n\/a|null|-|\[\])?\.?$/i;

function looksTyped(text: string, goldSentences: number): boolean {
  const lines = numberedLines(text).filter((l) => l.text.trim() !== '');
  return lines.length > 0 && lines.every((l) => TYPED_LINE.test(l.text) && !/@@|##/.test(l.text)) && typedBlocks(text).length === goldSentences;
}

/** The blocks of non-blank lines. */
function typedBlocks(text: string): { text: string; number: number }[][] {
  const blocks: { text: string; number: number }[][] = [[]];
  for (const line of numberedLines(text)) {
    if (line.text.trim() === '') {
      if (blocks[blocks.length - 1].length) blocks.push([]);
    } else blocks[blocks.length - 1].push(line);
  }
  return blocks.filter((b) => b.length);
}

function parseTypedAnswers(text: string, file: string): Parsed {
  const problems: Problem[] = [];
  const answers = typedBlocks(text).map((block) => {
    const mentions = block.flatMap(({ text: line, number }) => {
      const location = `${file}:${number}`;
      const match = TYPED_LINE.exec(line);
      if (!match) {
        problems.push({ location, message: `'${clip(line)}' is not 'Type: entity; entity'; skipped` });
        return [];
      }
      const [, type, list] = match;
      if (NONE.test(list.trim())) return [];
      return list
        .split(';')
        .map((e) => e.trim().replace(/^["'](.*)["']$/, '$1'))
        .filter((e) => e !== '' && !NONE.test(e))
        .map((entity) => ({ words: splitWords(entity), type, location }));
    });
    return { mentions: ranked(mentions), location: `${file}:${block[0].number}` };
  });
  return { answers, problems };
}

/** Each mention with its rank among the mentions of the same words before it, exactly and ignoring case. */
function ranked<T extends { words: string[] }>(mentions: T[]): (T & { rank: Mention['rank'] })[] {
  const seen = { exact: new Map<string, number>(), folded: new Map<string, number>() };
  const next = (counts: Map<string, number>, key: string) => {
    const rank = counts.get(key) ?? 0;
    counts.set(key, rank + 1);
    return rank;
  };
  return mentions.map((m) => {
    const key = m.words.join(' ');
    return { ...m, rank: { exact: next(seen.exact, key), folded: next(seen.folded, key.toLowerCase()) } };
  });
}
