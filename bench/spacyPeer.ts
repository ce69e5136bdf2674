/**
 * spaCy as the second peer of `npm run bench`: its NER trained from scratch on BC5CDR train+dev and run on the
 * bench's words (bench/spacy_peer.py). spaCy lives in its own venv, build/spacy-peer/venv, installed from PyPI on
 * first use: it is no dependency of the extension.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { installPeer, ROOT, runPeerScript, type PeerVenv } from './peerVenv';

const HOME = path.join(ROOT, 'build', 'spacy-peer');
const VENV: PeerVenv = { dir: path.join(HOME, 'venv'), module: 'spacy', requirements: ['spacy==3.8.*'], name: 'spaCy 3.8' };
const MODEL = path.join(HOME, 'model');
const SCRIPT = path.join(__dirname, 'spacy_peer.py');
const TRAIN_DATA = path.resolve(ROOT, '..', 'shared', 'data', 'BC5CDR');

export interface SpacyRun {
  training: { trained: boolean; seconds: number; steps: number };
  tokensPerSecond: number;
  seconds: number;
  loadSeconds: number;
  firstResultMs: number;
  maxRssMB: number;
  labels: string[][];
}

/** spaCy's labels and figures on the sentences (a JSON file of word lists), or why it could not run. */
export function runSpacyPeer(sentencesFile: string, work: string): SpacyRun | { skipped: string } {
  if (!existsSync(path.join(TRAIN_DATA, 'train.tsv'))) return { skipped: `its training data, ${TRAIN_DATA}/train.tsv, is missing` };
  const setupError = installPeer(VENV);
  if (setupError) return { skipped: setupError };
  const trainingFile = path.join(work, 'spacy-training.json');
  const outFile = path.join(work, 'spacy.json');
  runPeerScript(VENV, SCRIPT, 'train', TRAIN_DATA, MODEL, trainingFile);
  runPeerScript(VENV, SCRIPT, 'predict', MODEL, sentencesFile, outFile);
  return { training: JSON.parse(readFileSync(trainingFile, 'utf8')), ...JSON.parse(readFileSync(outFile, 'utf8')) };
}
