/**
 * Re-analysis latency through the language server: a plain-text document of N sentences is annotated once,
 * then one word is changed and the time until the new semantic tokens arrive is measured; also the server's peak
 * RSS (VmHWM, its inference workers included). EDIT_PAUSE=MS waits that long between the first pass and the edits.
 *   editLatency.ts MODEL_DIR SENTENCES_JSON OUT_JSON [EDITS]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startServer } from '../test/support/lspClient';
import { processMemory } from '../test/support/soak';
import { noteText } from './note';

const [modelDir, sentencesFile, outFile, editsArg] = process.argv.slice(2);
const sentences: string[][] = JSON.parse(readFileSync(sentencesFile, 'utf8'));
const edits = Number(editsArg ?? 7);

async function main(): Promise<void> {
  const server = await startServer({ configuration: { modelPath: path.resolve(modelDir), threads: 1, maxFileSizeMB: 50 } });
  const uri = 'file:///bench/notes.txt';
  const text = noteText(sentences);
  const tokens = () => server.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } }) as Promise<{ data: number[] }>;
  let t = performance.now();
  server.open(uri, text, 'plaintext');
  const first = await tokens();
  const firstPassMs = performance.now() - t;
  if (process.env.EDIT_PAUSE) await new Promise((r) => setTimeout(r, Number(process.env.EDIT_PAUSE)));
  const latencies: number[] = [];
  for (let e = 0; e < edits; e++) {
    // Append a letter to the first word of sentence s, on line 2s of the note.
    const s = Math.floor(((e + 1) * sentences.length) / (edits + 1));
    const at = { line: 2 * s, character: sentences[s][0].length };
    t = performance.now();
    server.edit(uri, e + 2, { start: at, end: at }, 'x');
    await tokens();
    latencies.push(performance.now() - t);
  }
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
