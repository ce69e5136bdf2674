/** Model-disagreement findings: each carries a fix for its own entity that keeps the sentence valid, and their size grows linearly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '@common/settings';
import { analyzeConll } from '../../server/src/core/conll/analysis';
import type { SentencePrediction } from '../../server/src/core/ner/engine';
import { disagreementFindings } from '../../server/src/features/bioPredictions';

/** One sentence of `words` tokens, gold `O` everywhere except a Disease entity over words 1–2. */
function sentence(words: number): string {
  return Array.from({ length: words }, (_, i) => `w${i}\t${i === 1 ? 'B-Disease' : i === 2 ? 'I-Disease' : 'O'}`).join('\n') + '\n';
}

/** The model sure of a Chemical on every fourth word, and of a Disease over words 2–3 (overlapping gold's 1–2). */
function prediction(words: number): SentencePrediction {
  const spans = [{ start: 2, end: 4, type: 'Disease', confidence: 0.99 }];
  for (let i = 8; i < words; i += 4) spans.push({ start: i, end: i + 1, type: 'Chemical', confidence: 0.99 });
  const labels = new Array<string>(words).fill('O');
  for (const span of spans) for (let i = span.start; i < span.end; i++) labels[i] = `${i === span.start ? 'B' : 'I'}-${span.type}`;
  return { spans, labels, ranked: labels.map((label) => [{ label, probability: 0.99 }]) };
}

/** The sentence's tags after a fix's edits (each replaces one whole tag column). */
function tagsAfter(text: string, edits: { line: number; newText: string }[]): string[] {
  const lines = text.trimEnd().split('\n');
  for (const edit of edits) lines[edit.line] = `${lines[edit.line].split('\t')[0]}\t${edit.newText}`;
  return lines.map((line) => line.split('\t')[1]);
}

test("each disagreement's own fix covers its entity and every entity overlapping it, and leaves a valid sentence", async () => {
  const text = sentence(40);
  const analysis = await analyzeConll(text, DEFAULT_SETTINGS);
  const findings = disagreementFindings({ analysis, predictions: [prediction(40)] }, DEFAULT_SETTINGS);
  assert.equal(findings.length, 9);
  // Gold Disease 1–2 and the model's Disease 2–3 overlap: the fix rewrites words 1–3 together.
  const overlap = findings.find((f) => f.line === 2)!;
  assert.deepEqual(overlap.fixes![0].edits.map((e) => [e.line, e.newText]), [
    [1, 'O'],
    [2, 'B-Disease'],
    [3, 'I-Disease'],
  ]);
  assert.equal(overlap.fixes![0].title, "Apply the model's tags to 'w1 w2 w3'");
  for (const finding of findings) {
    const tags = tagsAfter(text, finding.fixes![0].edits);
    const fixed = await analyzeConll(tags.map((tag, i) => `w${i}\t${tag}`).join('\n') + '\n', DEFAULT_SETTINGS);
    assert.deepEqual(fixed.findings, [], `after '${finding.fixes![0].title}'`);
  }
  // The sentence-wide fix is offered once, on the sentence's first finding.
  const sentenceFixes = findings.flatMap((f) => f.fixes!).filter((fix) => fix.title === "Apply the model's tags to this sentence");
  assert.equal(sentenceFixes.length, 1);
  assert.equal(sentenceFixes[0].edits.length, 3 + 8);
});

test('the edits of all findings of a long sentence grow with its length, not with its square', async () => {
  const words = 4000;
  const analysis = await analyzeConll(sentence(words), DEFAULT_SETTINGS);
  const findings = disagreementFindings({ analysis, predictions: [prediction(words)] }, DEFAULT_SETTINGS);
  assert.equal(findings.length, 1 + (words - 8) / 4);
  const edits = findings.reduce((n, f) => n + f.fixes!.reduce((m, fix) => m + fix.edits.length, 0), 0);
  // Every finding's own fix (about one edit) plus one sentence-wide fix; each finding with the whole sentence's
  // fix would be about a thousand times this.
  assert.ok(edits <= 3 * findings.length, `${edits} edits for ${findings.length} findings`);
});
