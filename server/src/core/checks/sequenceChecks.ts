/** Checks of a sentence's tag sequence: schemes mixed in one file and invalid transitions. */
import type { Layout } from '../conll/layout';
import { tagOf, type TokenLine } from '../conll/reader';
import { mapToScheme, validateSequence } from '../conll/sequence';
import { formatTag, SCHEME_PREFIXES } from '../conll/tags';
import { replaceWith, type Finding, type Span } from './finding';
import { clip } from '../text/clip';

/**
 * `canonicalType` reads a probable label typo as the label it misspells, so that the typo is reported once (as
 * label-typo) rather than again as a type switch on the tokens after it.
 */
export function checkSentence(
  tokens: TokenLine[],
  layout: Layout,
  report: (finding: Finding) => void,
  canonicalType: (type: string) => string = (type) => type,
): void {
  const { scheme } = layout;
  const tags = tokens.map((token) => {
    const tag = tagOf(token);
    return tag && { prefix: tag.prefix, type: canonicalType(tag.type) };
  });
  const mapped = mapToScheme(tags, scheme);
  const tagSpan = (index: number): Span => {
    const { line, tagColumn } = tokens[index];
    return { line: line.number, start: line.offset + tagColumn!.start, end: line.offset + tagColumn!.end };
  };
  tags.forEach((tag, index) => {
    if (!tag || SCHEME_PREFIXES[scheme].has(tag.prefix)) return;
    const span = tagSpan(index);
    const replacement = formatTag(mapped[index]!);
    report({
      code: 'mixed-scheme',
      ...span,
      message: `'${clip(formatTag(tag))}' belongs to another tagging scheme; this file is ${scheme}`,
      fixes: [replaceWith(`Change to ${clip(replacement)}`, span, replacement)],
    });
  });
  for (const issue of validateSequence(mapped, scheme)) {
    const span = tagSpan(issue.index);
    report({
      code: issue.code,
      ...span,
      message: issue.message[0].toUpperCase() + issue.message.slice(1),
      fixes: issue.suggestions.map((tag, i) =>
        replaceWith(`Change to ${clip(tag)}${issue.code === 'type-switch' ? (i === 0 ? ' (continue the entity)' : ' (start a new entity)') : ''}`, span, tag, i === 0),
      ),
    });
  }
}
