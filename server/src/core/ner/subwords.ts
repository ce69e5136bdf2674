/**
 * Words → sub-word ids with the model's tokenizer, and back: @huggingface/tokenizers gives no offsets or word
 * ids, so each word is encoded on its own and the sequence is assembled here, which makes the first sub-word of
 * every word known. Sentences longer than the model's maximum are cut into overlapping windows of whole words.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ownCopy } from '../text/ownCopy';
import type { ModelFolder } from './modelFolder';

export interface Window {
  /** Words [wordStart, wordEnd) of the sentence. */
  wordStart: number;
  wordEnd: number;
  /** Sub-word ids with the special tokens. */
  ids: number[];
  /** Position in `ids` of each word's first sub-word (index 0 is wordStart). */
  firstSubword: number[];
}

const WORD_CACHE_LIMIT = 200_000;

export class SubwordEncoder {
  private readonly tokenizer: Tokenizer;
  private readonly cache = new Map<string, number[]>();
  readonly prefix: number[];
  readonly suffix: number[];
  private readonly unknown: number;
  /** Byte-level BPE (RoBERTa, GPT-2) marks a word's leading space in its first sub-word. */
  private readonly spaceMarked: boolean;

  constructor(private readonly folder: ModelFolder) {
    this.tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    const bare = this.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const framed = this.tokenizer.encode('a', { add_special_tokens: true }).ids;
    const at = indexOfSequence(framed, bare);
    this.prefix = at < 0 ? [] : framed.slice(0, at);
    this.suffix = at < 0 ? [] : framed.slice(at + bare.length);
    const model = (folder.tokenizerJson as { model?: { unk_token?: string } }).model;
    this.unknown = this.tokenizer.token_to_id(model?.unk_token ?? '[UNK]') ?? this.tokenizer.token_to_id('<unk>') ?? 0;
    this.spaceMarked = JSON.stringify((folder.tokenizerJson as { pre_tokenizer?: unknown }).pre_tokenizer ?? null).includes('ByteLevel');
  }

  /** The largest id the tokenizer can produce: its vocabulary (an object or a Unigram list) and added tokens. */
  get largestId(): number {
    const json = this.folder.tokenizerJson as { model?: { vocab?: Record<string, number> | unknown[] }; added_tokens?: { id: number }[] };
    const vocab = json.model?.vocab;
    const ids = Array.isArray(vocab) ? [vocab.length - 1] : Object.values(vocab ?? {});
    return Math.max(0, ...ids, ...(json.added_tokens ?? []).map((token) => token.id));
  }

  wordIds(word: string, first: boolean): number[] {
    const key = first || !this.spaceMarked ? word : ` ${word}`;
    let ids = this.cache.get(key);
    if (!ids) {
      ids = this.tokenizer.encode(key, { add_special_tokens: false }).ids;
      if (ids.length === 0) ids = [this.unknown];
      if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
      this.cache.set(ownCopy(key), ids);
    }
    return ids;
  }

  /** One window when the sentence fits, else overlapping windows of whole words covering it. */
  windows(words: readonly string[]): Window[] {
    const budget = this.folder.maxLength - this.prefix.length - this.suffix.length;
    const pieces = words.map((w, i) => this.wordIds(w, i === 0).slice(0, budget));
    const windows: Window[] = [];
    let start = 0;
    while (start < words.length || windows.length === 0) {
      let end = start;
      let length = 0;
      while (end < words.length && length + pieces[end].length <= budget) length += pieces[end++].length;
      if (end === start) end = Math.min(start + 1, words.length);
      const ids = [...this.prefix];
      const firstSubword: number[] = [];
      for (let w = start; w < end; w++) {
        firstSubword.push(ids.length);
        ids.push(...pieces[w]);
      }
      ids.push(...this.suffix);
      windows.push({ wordStart: start, wordEnd: end, ids, firstSubword });
      if (end >= words.length) break;
      // The overlap the model was trained with, else a quarter of the window: every word is also seen away from an edge.
      start = Math.max(start + 1, end - (this.folder.windowOverlap ?? Math.floor((end - start) / 4)));
    }
    return windows;
  }
}

function indexOfSequence(haystack: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * For each word, the window in which it sits farthest from an inner edge (the sentence's own ends are no cut): its
 * scores come from there, as in the trainer's `predict.owner`.
 */
export function bestWindowPerWord(windows: readonly Window[], wordCount: number): number[] {
  const best = new Array<number>(wordCount).fill(0);
  const margin = new Array<number>(wordCount).fill(-1);
  windows.forEach((window, w) => {
    for (let word = window.wordStart; word < window.wordEnd; word++) {
      const left = window.wordStart > 0 ? word - window.wordStart : wordCount;
      const right = window.wordEnd < wordCount ? window.wordEnd - 1 - word : wordCount;
      const distance = Math.min(left, right);
      if (distance > margin[word]) {
        margin[word] = distance;
        best[word] = w;
      }
    }
  });
  return best;
}
