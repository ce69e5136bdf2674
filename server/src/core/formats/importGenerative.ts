/**
 * Imports a generative tagger's answers as BIO for scoring: the gold file's lines with the predicted tag appended as
 * the last column (what `bioner annotate` writes), so that `bioner eval GOLD --pred FILE` scores them.
 */
import type { SchemeSetting } from '@common/settings';
import { readCorpus, scanLayout, wordsOf, type CorpusItem } from '../conll/corpus';
import { tagsForChunks } from '../conll/convert';
import { clip } from '../text/clip';
import { placeMentions } from './align';
import type { Conversion } from './convertFile';
import { parseAnswers, type GenerativeStyle, type Mention } from './generative';
import { spacelessType, type Problem } from './model';
import { readText } from './read';

export interface GenerativeRequest {
  input: string;
  gold: string;
  style: GenerativeStyle | 'auto';
  /** The type of untyped mentions (`@@entity##`). */
  type?: string;
  to: 'iob2' | 'iobes';
  settings: { tagColumn: number; scheme: SchemeSetting };
}

/** An untyped mention (`@@entity##`) and no type to give it: the caller asks for one. */
export class MissingTypeError extends Error {}

export async function importGenerative(request: GenerativeRequest): Promise<Conversion> {
  const { input, gold } = request;
  const layout = await scanLayout(gold, request.settings);
  const items: CorpusItem[] = [];
  for await (const item of readCorpus(gold, layout)) items.push(item);
  // The empty "line" after the final line break is not a line of output.
  const last = items[items.length - 1];
  if (last?.kind === 'line' && last.line.text === '') items.pop();
  const sentences = items.filter((i): i is Extract<CorpusItem, { kind: 'sentence' }> => i.kind === 'sentence');
  const parsed = parseAnswers(readText(input), input, request.style, sentences.length);
  if (parsed.answers.length !== sentences.length) {
    const unit = parsed.style === 'typed' ? 'block(s) of lines' : parsed.style === 'json' ? 'list(s)' : 'line(s)';
    throw new Error(`${input} has ${parsed.answers.length} answer(s) (${parsed.style}: ${unit}, one a sentence) but ${gold} has ${sentences.length} sentence(s)`);
  }
  const problems: Problem[] = [...parsed.problems];
  const notes: string[] = [];
  const typeOf = typeResolver([...layout.typeCounts.keys()], request.type, gold, { problems, notes });
  const separator = layout.separator === 'tab' ? '\t' : ' ';
  const scheme = request.to === 'iob2' ? 'IOB2' : 'IOBES';
  let entities = 0;
  let mentions = 0;
  let s = 0;
  const out = items.map((item) => {
    if (item.kind === 'line') return item.line.text + '\n';
    const answer = parsed.answers[s++];
    const words = wordsOf(item.tokens);
    const placed = placeMentions(words, answer, typeOf, s);
    problems.push(...placed.problems);
    mentions += answer.mentions.length;
    entities += placed.chunks.length;
    const tags = tagsForChunks(placed.chunks, words.length, scheme);
    return item.tokens.map((t, i) => `${t.line.text}${separator}${tags[i]}\n`).join('');
  });
  return {
    from: 'generative',
    to: request.to,
    outputs: [{ text: out.join('') }],
    records: parsed.answers.length,
    written: sentences.length,
    entities,
    problems,
    notes: [`answers read as ${parsed.style}; ${mentions} mention(s), ${entities} placed on ${gold}'s tokens`, ...notes],
  };
}

/**
 * A mention's type: its own, else `fallback`; a type the gold file spells differently ("cell line", "Cell_Line" for
 * cell_line) takes the gold spelling. An untyped mention without `fallback` is an error.
 */
function typeResolver(goldTypes: readonly string[], fallback: string | undefined, gold: string, report: { problems: Problem[]; notes: string[] }): (m: Mention) => string {
  const key = (type: string) => type.toLowerCase().replace(/[\s_-]+/g, '');
  const known = new Map(goldTypes.map((t) => [key(t), t]));
  const resolved = new Map<string, string>();
  return (mention) => {
    const type = mention.type ?? fallback;
    if (type === undefined) throw new MissingTypeError(`${mention.location}: '${clip(mention.words.join(' '))}' has no type: give --type`);
    let result = resolved.get(type);
    if (result === undefined) {
      result = known.get(key(type)) ?? spacelessType(type, 'a BIO tag', mention.location, report.problems);
      if (!known.has(key(type))) report.notes.push(`${mention.location}: type '${clip(type)}' is none of ${gold}'s types (${goldTypes.join(', ') || 'none'}): its mentions are tagged '${clip(result)}'`);
      resolved.set(type, result);
    }
    return result;
  };
}
