/** The documents the server benches edit: corpus sentences repeated to a count, and the plain-text note made of them. */

/** `count` sentences, the corpus's repeated from its start when it has fewer. */
export function repeatSentences<T>(sentences: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => sentences[i % sentences.length]);
}

/** One sentence per paragraph: sentence s is on line 2s, with a blank line after it. */
export function noteText(sentences: readonly (readonly string[])[]): string {
  return sentences.map((s) => s.join(' ')).join('\n\n') + '\n';
}
