/**
 * The report requests over LSP: corpus statistics of an open file's folder equal `bioner stats FOLDER --json` (an open
 * document's unsaved text counting), and the evaluation of an open file with the test model equals
 * `bioner eval FILE --model DIR --json`, with its error lists, progress, cancellation and clear failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import type { CorpusStatisticsResult, EvaluateFileResult } from '@common/protocol';
import { cellErrors } from '../../server/src/core/eval/score';
import { bio, EXCERPTS, ROOT, TEST_MODEL } from '../support/fixtures';
import { startServer } from '../support/lspClient';

const TIMEOUT = { timeout: 120_000 };
const bioner = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
const uriOf = (file: string) => pathToFileURL(file).href;

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-reports-'));
const write = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const train = write('train.conll', bio('Aspirin B-Chemical', 'causes O', 'gastric B-Disease', 'bleeding I-Disease', '. O', '', 'Aspirin B-Disease', 'helps O', '. O'));
const dev = write('dev.conll', bio('Aspirin B-Chemical', 'causes O', 'gastric B-Disease', 'bleeding I-Disease', '. O'));
const testSplit = write('test.conll', bio('Ibuprofen B-Chemical', 'and O', 'fever B-Disease', '. O'));
// An evaluation file: 120 sentences of the BC5CDR excerpt (Chemical and Disease; the test model predicts Disease).
const excerpt = readFileSync(EXCERPTS[0], 'utf8').split(/\n\s*\n/).slice(0, 120).join('\n\n') + '\n';
const scored = write('scored.bio', excerpt);

test('corpus statistics of the open file\'s folder: the numbers of bioner stats, and the open text standing for its file', TIMEOUT, async () => {
  const server = await startServer({ configuration: { modelPath: '/nonexistent/bioner-model' } });
  try {
    const cli = bioner('stats', dir, '--json');
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).corpora[0].splits.flatMap((s: { files: string[] }) => s.files).sort(), [dev, scored, testSplit, train]);
    server.open(uriOf(testSplit), readFileSync(testSplit, 'utf8'));
    const same = (await server.connection.sendRequest('bioner/corpusStatistics', { textDocument: { uri: uriOf(testSplit) } })) as CorpusStatisticsResult;
    assert.deepEqual(same, { stats: JSON.parse(cli.stdout).corpora[0], unreadable: [] });
    assert.deepEqual(same.stats.cooccurrence.topAmbiguousForms, [{ form: 'Aspirin', mentions: 3, types: { Chemical: 2, Disease: 1 } }]);

    // Unsaved: test.conll now holds dev's sentence, which train holds too: a leak the file on disk does not have.
    server.change(uriOf(testSplit), 2, readFileSync(dev, 'utf8'));
    const edited = (await server.connection.sendRequest('bioner/corpusStatistics', { textDocument: { uri: uriOf(testSplit) } })) as CorpusStatisticsResult;
    assert.deepEqual(edited.stats.leakage.find((l) => l.split === 'test'), { split: 'test', sentences: 1, inTrain: 1, share: 1, differentTags: 0 });
  } finally {
    await server.stop();
  }
});

test('the evaluation of an open file with the test model: bioner eval\'s numbers, every error listed and placed, progress reported', TIMEOUT, async () => {
  const server = await startServer({ configuration: { modelPath: TEST_MODEL, threads: 1, workers: 1 } });
  try {
    server.open(uriOf(scored), excerpt);
    const result = (await server.connection.sendRequest('bioner/evaluateFile', { textDocument: { uri: uriOf(scored) }, workDoneToken: 'eval-1' })) as EvaluateFileResult;
    const cli = bioner('eval', scored, '--model', TEST_MODEL, '--json');
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(result.evaluation, JSON.parse(cli.stdout));
    assert.equal(result.model, path.basename(TEST_MODEL));
    assert.equal(result.abbreviations, true);
    assert.equal(result.version, 1);

    const { strict, relaxed } = result.evaluation;
    const overall = (measure: 'precision' | 'recall', matching: 'strict' | 'relaxed') => cellErrors(result.errors, { row: 'overall', matching, measure }).length;
    assert.equal(overall('precision', 'strict'), strict.predicted - strict.correctPredicted);
    assert.equal(overall('recall', 'strict'), strict.gold - strict.foundGold);
    assert.equal(overall('recall', 'relaxed'), relaxed.gold - relaxed.foundGold);
    // Each error's range holds its words, one token line per word.
    const lines = excerpt.split('\n');
    for (const error of result.errors.slice(0, 40)) {
      const words = lines.slice(error.range.start.line, error.range.end.line + 1).map((line) => line.split('\t')[0]);
      assert.equal(words.join(' '), error.text, JSON.stringify(error));
      assert.equal(error.range.end.line - error.range.start.line, error.end - error.start - 1);
    }
    const progress = server.notifications('$/progress') as { token: string; value: { kind: string } }[];
    assert.deepEqual([...new Set(progress.filter((p) => p.token === 'eval-1').map((p) => p.value.kind))].filter((k) => k !== 'report'), ['begin', 'end']);
  } finally {
    await server.stop();
  }
});

test('an evaluation cancelled by the client answers RequestCancelled; without a model or a BIO file the error says why', TIMEOUT, async () => {
  const server = await startServer({ configuration: { modelPath: TEST_MODEL, threads: 1, workers: 1 } });
  const noModel = await startServer({ configuration: { modelPath: '/nonexistent/bioner-model' } });
  try {
    server.open(uriOf(scored), excerpt);
    const source = new CancellationTokenSource();
    const cancelled = server.connection.sendRequest('bioner/evaluateFile', { textDocument: { uri: uriOf(scored) } }, source.token);
    source.cancel();
    await assert.rejects(cancelled, (error: ResponseError<unknown>) => error.code === -32800);
    // The server goes on: the same request, not cancelled, answers.
    const result = (await server.connection.sendRequest('bioner/evaluateFile', { textDocument: { uri: uriOf(scored) } })) as EvaluateFileResult;
    assert.equal(result.evaluation.sentences, 120);

    noModel.open(uriOf(scored), excerpt);
    await assert.rejects(noModel.connection.sendRequest('bioner/evaluateFile', { textDocument: { uri: uriOf(scored) } }), /No model is loaded/);
    await assert.rejects(noModel.connection.sendRequest('bioner/corpusStatistics', { textDocument: { uri: uriOf(path.join(dir, 'closed.conll')) } }), /Open a BIO\/CoNLL file first/);
    noModel.open('untitled:Untitled-1', excerpt);
    await assert.rejects(noModel.connection.sendRequest('bioner/corpusStatistics', { textDocument: { uri: 'untitled:Untitled-1' } }), /Save the file first/);
  } finally {
    await server.stop();
    await noModel.stop();
  }
});
