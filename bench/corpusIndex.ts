/**
 * The corpus index through the language server: a workspace folder (default ../shared/data) is indexed by the
 * worker while hovers and document symbols are asked of an open file every 50 ms; prints the indexing time, the
 * answers' latencies during indexing, and the server's RSS once the index is built.
 *   node --import tsx bench/corpusIndex.ts [FOLDER]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer } from '../test/support/lspClient';
import { SHARED_DATA } from '../test/support/fixtures';

const folder = path.resolve(process.argv[2] ?? SHARED_DATA);
const CONFIGURATION = { modelPath: '/nonexistent/bioner-model' };
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const rssMB = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

async function main(): Promise<void> {
  const started = performance.now();
  const server = await startServer({ configuration: CONFIGURATION, workspaceFolders: [pathToFileURL(folder).href] });
  const indexed = server.nextNotification<{ message: string }>('window/logMessage', (p) => p.message.includes('corpus index:'));
  const uri = 'file:///bench/open.bio';
  server.open(uri, readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'corpus', 'BC5CDR-test-300.tsv'), 'utf8'));
  await server.diagnostics(uri);
  let done = false;
  void indexed.then(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const asked = performance.now();
    await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: 1 } });
    await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
    latencies.push(performance.now() - asked);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { message } = await indexed;
  const wallMs = performance.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  console.log(`${message} (${(wallMs / 1000).toFixed(1)} s from start)`);
  console.log(`hover + documentSymbol while indexing: ${latencies.length} pairs, median ${percentile(sorted, 0.5).toFixed(1)} ms, p95 ${percentile(sorted, 0.95).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
  const symbols = (await server.connection.sendRequest('workspace/symbol', { query: 'cisplatin' })) as unknown[];
  console.log(`server RSS with the index built: ${rssMB(server.process.pid!)} MB; workspace symbols for 'cisplatin': ${symbols.length}`);
  await server.stop();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
