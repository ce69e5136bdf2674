/** Corpus worker thread: indexes the workspace's BIO files off the server's event loop and answers corpus questions. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Answers, FromCorpusWorker, Question, ToCorpusWorker } from './core/corpus/corpusProtocol';
import { CorpusWorkspace, type WorkspaceOptions } from './core/corpus/workspace';

/** Corpora touched by updates are announced together, once updates pause this long. */
const CHANGED_PAUSE_MS = 30;

const workspace = new CorpusWorkspace(workerData as WorkspaceOptions);
const send = (message: FromCorpusWorker) => parentPort!.postMessage(message);
let scanCancelled = false;
let queue: Promise<void> = Promise.resolve();
const changed = new Set<string>();
let changedTimer: NodeJS.Timeout | undefined;

function touched(uri: string): void {
  const corpus = workspace.corpusOf(uri);
  if (corpus) changed.add(corpus);
  clearTimeout(changedTimer);
  changedTimer = setTimeout(() => {
    send({ kind: 'changed', corpora: [...changed] });
    changed.clear();
  }, CHANGED_PAUSE_MS);
}

function answer<K extends Question['kind']>(question: Extract<Question, { kind: K }>): Answers[K];
function answer(question: Question): Answers[Question['kind']] {
  switch (question.kind) {
    case 'findings':
      return workspace.findings(question.uri, question.limit);
    case 'references':
      return workspace.references(question.uri, question.line);
    case 'typeAt':
      return workspace.typeAt(question.uri, question.line, question.character);
    case 'renameType':
      return [...workspace.renameType(question.uri, question.from, question.to)];
    case 'symbols':
      return workspace.symbols(question.query, question.limit);
    case 'corpusWideEdits':
      return workspace.corpusWideEdits(question.uri, question.fix);
  }
}

async function handle(message: ToCorpusWorker): Promise<void> {
  switch (message.kind) {
    case 'open':
      workspace.openText(message.uri, message.text);
      return touched(message.uri);
    case 'edit':
      if (workspace.edit(message.uri, message.splice)) touched(message.uri);
      else send({ kind: 'resync', uri: message.uri });
      return;
    case 'close':
    case 'disk': {
      const before = workspace.corpusOf(message.uri);
      await (message.kind === 'close' ? workspace.close(message.uri) : workspace.diskChanged(message.uri));
      if (before) changed.add(before);
      return touched(message.uri);
    }
    case 'ask':
      try {
        send({ kind: 'answer', id: message.id, result: answer(message.question) });
      } catch (error) {
        send({ kind: 'answer', id: message.id, error: (error as Error).stack ?? String(error) });
      }
  }
}

parentPort!.on('message', (message: ToCorpusWorker) => {
  // Cancelling must not wait behind the scan it cancels; everything else keeps its order.
  if (message.kind === 'cancelScan') scanCancelled = true;
  else queue = queue.then(() => handle(message)).catch((error) => console.error(`BioNER corpus worker: ${(error as Error).stack}`));
});

const started = performance.now();
void workspace
  .scan({ onProgress: (done, total) => send({ kind: 'progress', done, total }), isCancelled: () => scanCancelled })
  .then(({ files, sentences }) => {
    send({ kind: 'scanned', files, sentences, ms: performance.now() - started, cancelled: scanCancelled });
    send({ kind: 'changed', corpora: 'all' });
  });
