/** Gold entities coloured by type: the token column by entity class, the tag column as tag or outside. */
import { SemanticTokensBuilder, type Range, type SemanticTokens, type SemanticTokensLegend } from 'vscode-languageserver';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, tokenTypeForEntity, type SemanticTokenType } from '@common/semanticTokens';
import { firstSentenceFrom, sentenceEntities, sentenceTokens, type ConllAnalysis } from '../core/conll/analysis';
import { tagOf } from '../core/conll/reader';

export const SEMANTIC_TOKENS_LEGEND: SemanticTokensLegend = {
  tokenTypes: [...SEMANTIC_TOKEN_TYPES],
  tokenModifiers: [...SEMANTIC_TOKEN_MODIFIERS],
};

const typeIndex = (type: SemanticTokenType) => SEMANTIC_TOKEN_TYPES.indexOf(type);
const BEGIN = 1 << SEMANTIC_TOKEN_MODIFIERS.indexOf('begin');

export function semanticTokens(analysis: ConllAnalysis, range?: Range): SemanticTokens {
  const builder = new SemanticTokensBuilder();
  const { sentenceStarts } = analysis.structure;
  const firstLine = range?.start.line ?? 0;
  const lastLine = range?.end.line ?? Number.MAX_SAFE_INTEGER;
  for (let s = firstSentenceFrom(analysis, firstLine); s < sentenceStarts.length && sentenceStarts[s] <= lastLine; s++) {
    const tokens = sentenceTokens(analysis, s);
    const entityAt = new Array<{ type: string; begins: boolean } | undefined>(tokens.length);
    for (const chunk of sentenceEntities(analysis, tokens)) {
      for (let i = chunk.start; i < chunk.end; i++) entityAt[i] = { type: chunk.type, begins: i === chunk.start };
    }
    tokens.forEach((token, i) => {
      const { line, columns, tagColumn } = token;
      if (line.number < firstLine || line.number > lastLine) return;
      const entity = entityAt[i];
      const word = columns[0];
      if (entity && word && word !== tagColumn && word.end > word.start) {
        builder.push(line.number, line.offset + word.start, word.end - word.start, typeIndex(tokenTypeForEntity(entity.type)), entity.begins ? BEGIN : 0);
      }
      if (tagColumn && tagColumn.end > tagColumn.start && tagOf(token)) {
        const type = tagOf(token)!.prefix === 'O' ? 'bioOutside' : 'bioTag';
        builder.push(line.number, line.offset + tagColumn.start, tagColumn.end - tagColumn.start, typeIndex(type), 0);
      }
    });
  }
  return builder.build();
}
