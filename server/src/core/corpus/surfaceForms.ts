/** How words are compared across a corpus: case folded where case carries no meaning, and words too weak to flag. */

/**
 * Lower case and Capitalized words fold to lower case ("Dexamethasone" = "dexamethasone", a sentence start is no
 * different); any other casing is kept, since it marks abbreviations and symbols ("CIN" is not "cin", "mRNA").
 */
export function foldCase(word: string): string {
  const lower = word.toLowerCase();
  if (word === lower || word.slice(1) === lower.slice(1)) return lower;
  return word;
}

/** Function words of English scientific prose: a form made only of these (and punctuation) is never flagged. */
const STOP_WORDS = new Set(
  (
    'a about above after again against all also an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each either few for from further had has have having he her here hers him his how ' +
    'however i if in into is it its itself more most much must no nor not of off on once only or other our out over own per same ' +
    'she should so some such than that the their them then there these they this those through thus to too under until up upon ' +
    'us very via was we were what when where whether which while who whom why will with within without would you'
  ).split(' '),
);

const WEAK = /^(?:[\p{P}\p{S}]+|\p{N}+(?:[.,]\p{N}+)*|.)$/u;

/** A word that carries no evidence on its own: a stop word, punctuation, a number or a single character. */
export function isWeakWord(folded: string): boolean {
  return WEAK.test(folded) || STOP_WORDS.has(folded);
}
