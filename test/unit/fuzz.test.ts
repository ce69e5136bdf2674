/** Seeded fuzzing of the BIO parser, the checks, the CLI's streaming checker, the editor features and the prose segmenter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CodeActionParams, Diagnostic } from 'vscode-languageserver';
import { CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND } from '@common/protocol';
import { DEFAULT_SETTINGS, type BionerSettings, type SchemeSetting } from '@common/settings';
import { analyzeConll, sentenceTokens, type ConllAnalysis } from '../../server/src/core/conll/analysis';
import { convertText } from '../../server/src/core/conll/convert';
import { checkFile, checkText, type CheckResult } from '../../server/src/core/checks/checker';
import { formatJson, formatSarif, formatText } from '../../server/src/core/checks/report';
import type { SentencePrediction } from '../../server/src/core/ner/engine';
import { maskNonProse, type ProseFormat } from '../../server/src/core/prose/mask';
import { ProseSegmenter, segmentProse, type ProseSentence } from '../../server/src/core/prose/segment';
import { LineIndex, linesOfFile, type Line } from '../../server/src/core/text/lines';
import { bioInlayHints, bioPredictionHover, disagreementFindings } from '../../server/src/features/bioPredictions';
import { codeActions, FIX_ALL_KIND } from '../../server/src/features/codeActions';
import { toDiagnostics } from '../../server/src/features/diagnostics';
import { hover } from '../../server/src/features/hover';
import { proseHover, proseSemanticTokens } from '../../server/src/features/proseNer';
import { ProseTokens } from '../../server/src/features/proseTokens';
import { spanToRange } from '../../server/src/features/ranges';
import { semanticTokens } from '../../server/src/features/semanticTokens';
import { documentSymbols, foldingRanges } from '../../server/src/features/structure';
import { sharedCorpusFiles } from '../support/fixtures';
import { assertFoldingInside, assertPositionInside, assertRangeInside, assertSymbolsInside, assertTokensInside, lineLengths, type Range } from '../support/fuzzDocument';
import { decodeSemanticTokens } from '../support/lspClient';
import { caseSeed, casesPerKind, fuzzConfig, INPUT_KINDS, mutate, Random } from '../support/random';

/** A case over this is a hang: the slowest (1 MB lines on a busy two-core machine) take about ten seconds. */
const CASE_LIMIT_MS = 120_000;
const URI = 'file:///fuzz.bio';

const SCHEMES: SchemeSetting[] = ['auto', 'auto', 'auto', 'IOB2', 'IOBES', 'BILOU', 'IOB1'];
const SEQUENCE_CODES = new Set(['invalid-start', 'type-switch', 'unclosed-entity', 'mixed-scheme']);

function randomSettings(rng: Random): BionerSettings {
  return { ...DEFAULT_SETTINGS, tagColumn: rng.pick([-1, -1, -1, -1, 0, 1, -2, 3]), scheme: rng.pick(SCHEMES) };
}

const resultOf = ({ layout, findings, structure }: CheckResult): Pick<CheckResult, 'layout' | 'findings' | 'structure'> => ({ layout, findings, structure });

/** Positions anywhere in the document, and some past its lines' ends, as editors send on hover. */
function randomPosition(rng: Random, lengths: readonly number[]): { line: number; character: number } {
  const line = rng.int(lengths.length);
  return { line, character: rng.int(lengths[line] + 3) };
}

function assertEditsInside(lengths: readonly number[], edits: readonly { range: Range }[], what: string): void {
  const sorted = [...edits].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  sorted.forEach((edit, i) => {
    assertRangeInside(lengths, edit.range, what);
    const previous = sorted[i - 1];
    const overlaps = previous && previous.range.end.line === edit.range.start.line && previous.range.end.character > edit.range.start.character;
    assert.ok(!overlaps, `${what}: overlapping edits ${JSON.stringify(previous?.range)} and ${JSON.stringify(edit.range)}`);
  });
}

/** What the in-memory analysis and the editor features built on it return lies inside the document. */
function checkAnalysis(text: string, analysis: ConllAnalysis, settings: BionerSettings, rng: Random): void {
  const lengths = lineLengths(text);
  assert.equal(analysis.index.lineCount, lengths.length, 'line count');
  for (const f of analysis.findings) {
    assertRangeInside(lengths, spanToRange(f), `${f.code} finding`);
    for (const r of f.related ?? []) assertRangeInside(lengths, spanToRange(r), `${f.code} related information`);
    for (const fix of f.fixes) assertEditsInside(lengths, fix.edits.map((e) => ({ range: spanToRange(e) })), `${f.code} fix`);
  }
  const { sentenceStarts, sentenceEnds, docstarts } = analysis.structure;
  sentenceStarts.forEach((start, s) => {
    assert.ok(start <= sentenceEnds[s] && sentenceEnds[s] < lengths.length, `sentence ${s} spans lines ${start}–${sentenceEnds[s]}`);
    if (s > 0) assert.ok(sentenceEnds[s - 1] < start, `sentence ${s} overlaps the one before`);
  });
  for (const line of docstarts) assert.ok(line < lengths.length, `-DOCSTART- on line ${line}`);

  const full = semanticTokens(analysis);
  assertTokensInside(lengths, full.data, 'semantic token');
  // A range request returns the tokens of the full request that lie on its lines.
  const first = rng.int(lengths.length);
  const last = first + rng.int(lengths.length - first);
  const ranged = semanticTokens(analysis, { start: { line: first, character: 0 }, end: { line: last, character: 0 } });
  const inLines = decodeSemanticTokens(full.data, []).filter((t) => t.line >= first && t.line <= last);
  assert.deepEqual(decodeSemanticTokens(ranged.data, []), inLines, `semantic tokens of lines ${first}–${last}`);
  assertFoldingInside(lengths, foldingRanges(analysis), 'folding range');
  assertSymbolsInside(lengths, documentSymbols(analysis), 'document symbol');
  for (let i = 0; i < 5; i++) {
    const range = hover(analysis, randomPosition(rng, lengths))?.range;
    if (range) assertRangeInside(lengths, range, 'hover');
  }

  const diagnostics = toDiagnostics(URI, analysis.findings, settings);
  assert.ok(diagnostics.length <= settings.maxDiagnostics);
  const params = (only: string[] | undefined, context: Diagnostic[]): CodeActionParams => ({
    textDocument: { uri: URI },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics: context, only },
  });
  const only = rng.chance(0.5) ? undefined : ['quickfix', FIX_ALL_KIND, CONVERT_TO_IOB2_KIND, CONVERT_TO_IOBES_KIND];
  for (const action of codeActions(params(only, diagnostics.slice(0, 50)), analysis)) {
    assertEditsInside(lengths, action.edit?.changes?.[URI] ?? [], `code action '${action.title}'`);
  }
}

/** The model's features over made-up predictions: any spans the engine could return must give ranges inside. */
function fakePrediction(rng: Random, words: number): SentencePrediction {
  const spans: SentencePrediction['spans'] = [];
  const labels = new Array<string>(words).fill('O');
  for (let i = 0; i < words; ) {
    if (!rng.chance(0.3)) {
      i++;
      continue;
    }
    const end = Math.min(words, i + rng.between(1, 4));
    const type = rng.pick(['Disease', 'Chemical', 'Gene', 'X']);
    spans.push({ start: i, end, type, confidence: rng.next() });
    for (let j = i; j < end; j++) labels[j] = `${j === i ? 'B' : 'I'}-${type}`;
    i = end;
  }
  return { spans, labels, ranked: labels.map((label) => [{ label, probability: rng.next() }]) };
}

function checkModelFeatures(text: string, analysis: ConllAnalysis, settings: BionerSettings, rng: Random): void {
  const lengths = lineLengths(text);
  const predictions = analysis.structure.sentenceStarts.map((_, s) => fakePrediction(rng, sentenceTokens(analysis, s).length));
  const bio = { analysis, predictions };
  for (const f of disagreementFindings(bio, { ...settings, disagreementThreshold: rng.next() })) assertRangeInside(lengths, spanToRange(f), 'model-disagreement');
  const whole = { start: { line: 0, character: 0 }, end: { line: lengths.length, character: 0 } };
  for (const hint of bioInlayHints(bio, whole, { ...settings, bioPredictions: 'all' })) assertPositionInside(lengths, hint.position, 'inlay hint');
  for (let i = 0; i < 3; i++) bioPredictionHover(bio, rng.int(lengths.length));
}

/** Conversion leaves no sequence error in the target scheme, changes no line count, and is idempotent. */
async function checkConversion(text: string, settings: BionerSettings): Promise<void> {
  for (const target of ['IOB2', 'IOBES'] as const) {
    const converted = convertText(text, settings, target).text;
    assert.equal(lineLengths(converted).length, lineLengths(text).length, `lines after conversion to ${target}`);
    const targetSettings = { tagColumn: settings.tagColumn, scheme: target };
    const left = (await analyzeConll(converted, targetSettings)).findings.filter((f) => SEQUENCE_CODES.has(f.code));
    assert.deepEqual(left.map((f) => `${f.line}: ${f.message}`), [], `sequence errors after conversion to ${target}`);
    assert.equal(convertText(converted, targetSettings, target).changed, 0, `a second conversion to ${target} changes tags`);
  }
}

const wordsOf = (sentences: ProseSentence[]) => sentences.map((s) => s.words);

function checkProse(text: string, rng: Random): void {
  const lengths = lineLengths(text);
  const index = new LineIndex(text);
  for (const format of ['plaintext', 'markdown'] as ProseFormat[]) {
    const masked = maskNonProse(text, format);
    assert.equal(masked.length, text.length, `${format}: masking changes the length`);
    for (let i = 0; i < text.length; i++) {
      const kept = masked[i] === text[i] || (masked[i] === ' ' && text[i] !== '\r' && text[i] !== '\n');
      if (!kept) assert.fail(`${format}: masking turns ${JSON.stringify(text[i])} at ${i} into ${JSON.stringify(masked[i])}`);
    }
    const sentences = segmentProse(text, format);
    let end = 0;
    for (const sentence of sentences) {
      assert.ok(sentence.words.length > 0, `${format}: an empty sentence`);
      for (const word of sentence.words) {
        assert.ok(word.start >= end && word.end > word.start && word.end <= text.length, `${format}: word ${JSON.stringify(word)} after offset ${end}`);
        assert.equal(text.slice(word.start, word.end), word.text, `${format}: a word's offsets`);
        end = word.end;
      }
    }
    // A segmenter that saw an earlier version of the text segments it as a fresh one does.
    const segmenter = new ProseSegmenter();
    segmenter.segment(mutate(rng, text, rng.between(1, 3)), format);
    assert.deepEqual(wordsOf(segmenter.segment(text, format)), wordsOf(sentences), `${format}: a reused segmenter`);

    const analysis = { index, sentences, predictions: sentences.map((s) => fakePrediction(rng, s.words.length)), tokens: new ProseTokens() };
    assertTokensInside(lengths, proseSemanticTokens(analysis, DEFAULT_SETTINGS).data, `${format} semantic token`);
    for (let i = 0; i < 3; i++) {
      const range = proseHover(analysis, randomPosition(rng, lengths))?.range;
      if (range) assertRangeInside(lengths, range, `${format} hover`);
    }
  }
}

/** One case: an input of a kind, checked in memory, streamed from disk as the CLI does, and read as prose. */
async function runCase(kindName: string, seed: number, dir: string): Promise<void> {
  const kind = INPUT_KINDS.find((k) => k.name === kindName)!;
  const rng = new Random(seed);
  const input = kind.make(rng);
  const settings = randomSettings(rng);
  const analysis = await analyzeConll(input.text, settings);
  // The server's passes yield every few lines and may resume in any order with other work: the result must not change.
  const yielding = await analyzeConll(input.text, settings, { checkpoint: () => new Promise((resolve) => setImmediate(resolve)), every: rng.pick([1, 7, 500]) });
  assert.deepEqual(resultOf(yielding), resultOf(analysis), 'a pass that yields differs');
  checkAnalysis(input.text, analysis, settings, rng);
  checkModelFeatures(input.text, analysis, settings, rng);
  assert.deepEqual(resultOf(checkText(input.text, settings)), resultOf(analysis), 'checkText and analyzeConll differ');
  await checkConversion(input.text, settings);

  // The CLI reads bytes; the editor holds them decoded, with invalid UTF-8 and lone surrogates as U+FFFD.
  const file = path.join(dir, `${seed}.tsv`);
  writeFileSync(file, input.bytes);
  try {
    const decoded = input.bytes.toString('utf8');
    const inMemory = decoded === input.text ? analysis : await analyzeConll(decoded, settings);
    const streamedLines: Line[] = [];
    for await (const line of linesOfFile(file)) streamedLines.push(line);
    assert.deepEqual(streamedLines, [...inMemory.index.lines()], 'streamed lines differ from the lines in memory');
    const streamed = await checkFile(file, settings);
    assert.deepEqual(resultOf(streamed), resultOf(inMemory), 'the streaming checker and the in-memory analysis differ');
    // The formats render each finding alone: a sample is enough, and rendering 350,000 took seconds.
    const reports = [{ path: file, findings: streamed.findings.slice(0, 2000) }];
    formatText(reports, settings.severity);
    JSON.parse(formatJson(reports, settings.severity));
    JSON.parse(formatSarif(reports, settings.severity, '0'));
  } finally {
    rmSync(file, { force: true });
  }
  checkProse(input.text, rng);
}

/** Runs cases in a worker thread, so that a hung case (an endless loop, a runaway regex) is stopped and reported. */
class CaseRunner {
  private worker?: Worker;
  constructor(private readonly dir: string) {}

  run(kind: string, seed: number): Promise<string | undefined> {
    const worker = (this.worker ??= new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: { dir: this.dir } }));
    return new Promise((resolve) => {
      const done = (result: string | undefined) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError);
        resolve(result);
      };
      const onMessage = (message: { error?: string }) => done(message.error);
      const onError = (error: Error) => {
        this.worker = undefined;
        done(`the worker died: ${error.stack ?? error.message}`);
      };
      const timer = setTimeout(() => {
        this.worker = undefined;
        void worker.terminate();
        done(`no result within ${CASE_LIMIT_MS} ms: a hang`);
      }, CASE_LIMIT_MS);
      worker.on('message', onMessage).on('error', onError);
      worker.postMessage({ kind, seed });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

if (!isMainThread) {
  parentPort!.on('message', ({ kind, seed }: { kind: string; seed: number }) => {
    runCase(kind, seed, workerData.dir).then(
      () => parentPort!.postMessage({}),
      (error: Error) => parentPort!.postMessage({ error: error.stack ?? String(error) }),
    );
  });
} else {
  const { cases, seed } = fuzzConfig(120);
  const plan = casesPerKind(INPUT_KINDS, cases);
  const source = sharedCorpusFiles().length > 0 ? 'the corpora in ../shared/data' : 'the excerpts in test/fixtures/corpus';
  const total = plan.reduce((n, [, count]) => n + count, 0);

  test(`fuzz in-process: seed ${seed}, ${total} cases over ${source}`, { timeout: 120_000 + total * 2_000 }, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bioner-fuzz-'));
    const runner = new CaseRunner(dir);
    try {
      for (const [kind, count] of plan) {
        await t.test(`${kind.name}: ${count} cases`, async () => {
          const started = Date.now();
          const failures: string[] = [];
          for (let i = 0; i < count && failures.length < 5; i++) {
            const error = await runner.run(kind.name, caseSeed(seed, kind.name, i));
            if (error) failures.push(`case ${i} (BIONER_FUZZ_SEED=${seed}, case seed ${caseSeed(seed, kind.name, i)}): ${error}`);
          }
          t.diagnostic(`${kind.name}: ${count} cases in ${Date.now() - started} ms, ${failures.length} failed`);
          assert.deepEqual(failures, []);
        });
      }
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
