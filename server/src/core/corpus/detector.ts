/** The contract between the corpus index and its checks: each check follows sentences as they come and go. */
import type { Scheme } from '../conll/tags';
import type { Finding } from '../checks/finding';
import type { Split } from './corpora';
import type { CorpusSentence } from './sentence';

/** A file of a corpus: its identifier (a path in the CLI, a URI in the server), split and scheme. */
export interface CorpusFile {
  file: string;
  split?: Split;
  scheme: Scheme;
}

/** One sentence held by the index. `id` is unique and never reused; `sentence.lines` shift in place. */
export interface SentenceRef {
  id: number;
  file: CorpusFile;
  sentence: CorpusSentence;
}

/**
 * A corpus-wide check, kept up to date one sentence at a time: `added` and `removed` are called for every sentence
 * of one corpus as files are indexed, edited and deleted; `findings` answers for one file of that corpus at any time.
 */
export interface CorpusDetector {
  added(ref: SentenceRef): void;
  removed(ref: SentenceRef): void;
  /** Findings on `file`'s sentences, in line order, at most `limit`; `related` entries may name other files of the corpus. */
  findings(file: string, limit?: number): Finding[];
}
