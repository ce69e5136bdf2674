/** How hovers describe the model's per-word label probabilities. */
export function describeRanked(words: string[], ranked: { label: string; probability: number }[][]): string {
  const lines = words.map((word, i) => {
    const labels = ranked[i].map((r) => `${r.label} ${(r.probability * 100).toFixed(1)}%`).join(', ');
    return `- \`${word}\`: ${labels}`;
  });
  return ['Labels by probability:', ...lines].join('\n');
}
