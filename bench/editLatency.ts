/**
 * Re-analysis latency through the language server: a plain-text document of N sentences is annotated once,
 * then one word is changed and the time until the new semantic tokens arrive is measured; also the server's peak
 * RSS (VmHWM, its inference workers included). EDIT_PAUSE=MS waits that long between the first pass and the edits.
 * After an edit the tokens are asked for as VS Code does, as a delta from the last ones (applied here); SEMANTIC_TOKENS=full
 * asks for all of them.
 *   editLatency.ts MODEL_DIR SENTENCES_JSON OUT_JSON [EDITS]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { appliedSemanticTokens, startServer } from '../test/support/lspClient';
import { processMemory } from '../test/support/soak';
import { noteText } from './note';

const [modelDir, sentencesFile, outFile, editsArg] = process.argv.slice(2);
const sentences: string[][] = JSON.parse(readFileSync(sentencesFile, 'utf8'));
const edits = Number(editsArg ?? 7);

async function main(): Promise<void> {
  const server = await startServer({ configuration: { modelPath: path.resolve(modelDir), threads: 1, maxFileSizeMB: 50 } });
  const uri = 'file:///bench/notes.txt';
  const text = noteText(sentences);
  type Tokens = { resultId?: string; data: number[] };
  type Edit = { start: number; deleteCount: number; data?: number[] };
  const tokens = () => server.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } }) as Promise<Tokens>;
  const newTokens = async (held: Tokens): Promise<Tokens> => {
    if (process.env.SEMANTIC_TOKENS === 'full' || !held.resultId) return tokens();
    const answer = (await server.connection.sendRequest('textDocument/semanticTokens/full/delta', { textDocument: { uri }, previousResultId: held.resultId })) as Tokens | { resultId: string; edits: Edit[] };
    return { resultId: answer.resultId, data: appliedSemanticTokens(held.data, answer) };
  };
  let t = performance.now();
  server.open(uri, text, 'plaintext');
  const first = await tokens();
  let held = first;
  const firstPassMs = performance.now() - t;
  if (process.env.EDIT_PAUSE) await new Promise((r) => setTimeout(r, Number(process.env.EDIT_PAUSE)));
  const latencies: number[] = [];
  for (let e = 0; e < edits; e++) {
    // Append a letter to the first word of sentence s, on line 2s of the note.
    const s = Math.floor(((e + 1) * sentences.length) / (edits + 1));
    const at = { line: 2 * s, character: sentences[s][0].length };
    t = performance.now();
    server.edit(uri, e + 2, { start: at, end: at }, 'x');
    held = await newTokens(held);
    latencies.push(performance.now() - t);
  }
  // The tokens made from deltas are the document's.
  if (JSON.stringify(held.data) !== JSON.stringify((await tokens()).data)) throw new Error('the tokens applied from deltas differ from a full request');
  const memory = processMemory(server.process.pid!);
  await server.stop();
  const inOrder = [...latencies];
  latencies.sort((a, b) => a - b);
  writeFileSync(
    outFile,
    JSON.stringify({ sentences: sentences.length, firstPassMs, peakRssMB: memory.peakMB, entityTokens: first.data.length / 5, editLatencyMs: { median: latencies[latencies.length >> 1], max: latencies[latencies.length - 1], inOrder } }),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
