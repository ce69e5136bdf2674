/** The corpus-wide checks every corpus gets, in the CLI's batch index and the server's corpus index alike. */
import type { CorpusDetector } from './detector';
import { SplitHygiene } from './splits';

/** Makes a detector for one corpus, given its key. */
export type DetectorFactory<D extends CorpusDetector = CorpusDetector> = (corpus: string) => D;

export const CORPUS_DETECTORS: readonly DetectorFactory[] = [() => new SplitHygiene()];
