/** How hovers and messages describe the model's probabilities. */
import type { AbbreviationSource } from '../core/ner/abbreviations';

/** A probability as a percentage, rounded down so that nothing short of certain reads 100.0%. */
export function formatPercent(probability: number): string {
  return `${(Math.floor(probability * 1000) / 10).toFixed(1)}%`;
}

/** Says that a span's type is that of an abbreviation's other form, and on which line (0-based) the text defines it. */
export function describeAbbreviation(source: AbbreviationSource, line: number): string {
  return `Type from the abbreviation \`${source.shortForm}\` = \`${source.longForm}\`, defined on line ${line + 1}`;
}

export function describeRanked(words: string[], ranked: { label: string; probability: number }[][]): string {
  const lines = words.map((word, i) => {
    const labels = ranked[i].map((r) => `${r.label} ${formatPercent(r.probability)}`).join(', ');
    return `- \`${word}\`: ${labels}`;
  });
  return ['Labels by probability:', ...lines].join('\n');
}
