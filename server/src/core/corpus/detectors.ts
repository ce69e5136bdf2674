/** The corpus-wide checks every corpus gets, in the CLI's batch index and the server's corpus index alike. */
import type { CorpusDetector } from './detector';
import { DEFAULT_FORM_THRESHOLDS, SurfaceFormConsistency, type FormThresholds } from './forms';
import { SplitHygiene } from './splits';

/** Makes a detector for one corpus, given its key. */
export type DetectorFactory<D extends CorpusDetector = CorpusDetector> = (corpus: string) => D;

export function corpusDetectors(thresholds: FormThresholds = DEFAULT_FORM_THRESHOLDS): DetectorFactory[] {
  return [() => new SplitHygiene(), () => new SurfaceFormConsistency(thresholds)];
}
