/** Hover on a token line: the whole entity's text, its type, and the tag sequence with this token's place. */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { sentenceEntities, tokenAt, type ConllAnalysis } from '../core/conll/analysis';
import { wordsOf } from '../core/conll/corpus';

export function hover(analysis: ConllAnalysis, position: Position): Hover | null {
  const at = tokenAt(analysis, position.line);
  if (!at) return null;
  const { tokens, index } = at;
  const token = tokens[index];
  const chunk = sentenceEntities(analysis, tokens).find((c) => c.start <= index && index < c.end);
  const range = { start: { line: position.line, character: token.line.offset }, end: { line: position.line, character: token.line.offset + token.line.text.length } };
  if (!chunk) {
    const tag = token.tagColumn?.text ?? '(no tag)';
    return { range, contents: { kind: MarkupKind.Markdown, value: `Outside any entity: \`${tag}\`` } };
  }
  const members = tokens.slice(chunk.start, chunk.end);
  const text = wordsOf(members).join(' ');
  const tags = members.map((t, i) => (chunk.start + i === index ? `**${t.tagColumn?.text}**` : t.tagColumn?.text)).join(' ');
  const value = [
    `**${chunk.type || 'untyped'}** entity: \`${text}\``,
    '',
    `Tags: ${tags}  (token ${index - chunk.start + 1} of ${members.length}, lines ${members[0].line.number + 1}–${members[members.length - 1].line.number + 1})`,
  ].join('\n');
  return { range, contents: { kind: MarkupKind.Markdown, value } };
}
