/**
 * spaCy as the second peer of `npm run bench`: its NER trained from scratch on BC5CDR train+dev and run on the
 * bench's words (bench/spacy_peer.py). spaCy lives in its own venv, build/spacy-peer/venv, installed from PyPI on
 * first use: it is no dependency of the extension.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const HOME = path.join(ROOT, 'build', 'spacy-peer');
const VENV = path.join(HOME, 'venv');
const PYTHON = path.join(VENV, 'bin', 'python');
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
  const setupError = installSpacy();
  if (setupError) return { skipped: setupError };
  const trainingFile = path.join(work, 'spacy-training.json');
  const outFile = path.join(work, 'spacy.json');
  python('train', TRAIN_DATA, MODEL, trainingFile);
  python('predict', MODEL, sentencesFile, outFile);
  return { training: JSON.parse(readFileSync(trainingFile, 'utf8')), ...JSON.parse(readFileSync(outFile, 'utf8')) };
}

function python(...args: string[]): void {
  const run = spawnSync(PYTHON, [SCRIPT, ...args], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`${SCRIPT} ${args[0]} failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);
}

/** Creates the venv unless it already imports spaCy; the reason when that fails (e.g. PyPI unreachable). */
function installSpacy(): string | undefined {
  if (spawnSync(PYTHON, ['-c', 'import spacy'], { stdio: 'ignore' }).status === 0) return undefined;
  console.log(`bench: installing spaCy 3.8 from PyPI into ${path.relative(ROOT, VENV)} (once)`);
  const steps: [string, string[]][] = [
    ['/usr/bin/python3', ['-m', 'venv', '--clear', VENV]],
    // Few retries, so that an offline machine gives up in seconds rather than minutes.
    [PYTHON, ['-m', 'pip', 'install', '--quiet', '--retries', '1', '--timeout', '20', 'spacy==3.8.*']],
  ];
  for (const [command, args] of steps) {
    const run = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    if (run.status !== 0) return `${command} ${args.join(' ')} failed: ${run.error?.message ?? run.stderr.trim()}`;
  }
  return undefined;
}
