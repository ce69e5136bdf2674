/** BIO text as the readers read it back: one `word<TAB>tag` line per token, a blank line after each sentence. */
export function bioSentence(words: readonly string[], tags: readonly string[]): string {
  return words.map((word, i) => `${word}\t${tags[i]}\n`).join('') + '\n';
}
