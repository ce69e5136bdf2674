/** One replaced span of a document's text, in UTF-16 offsets, and how successive replacements combine into one. */

export interface TextChange {
  /** Offsets in the old text: [start, end) was replaced. */
  start: number;
  end: number;
  /** Length of the text that replaced it, which starts at `start` in the new text. */
  length: number;
}

/** `first` then `second` (whose offsets are in the text `first` made) as one change of the original text. */
export function composeChanges(first: TextChange, second: TextChange): TextChange {
  const firstEnd = first.start + first.length;
  // The span both changes touch, in the text between them; outside it that text equals the old one, shifted.
  const start = Math.min(first.start, second.start);
  const middleEnd = Math.max(firstEnd, second.end);
  return {
    start,
    end: first.end + Math.max(0, second.end - firstEnd),
    length: middleEnd + second.length - (second.end - second.start) - start,
  };
}
