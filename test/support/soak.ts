/** The soak: thousands of paced random edits through LSP incremental sync on a large document with the model on, the server's memory sampled, and its final state compared with a fresh server's. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { LSPErrorCodes, type Diagnostic, type Hover, type InlayHint, type PublishDiagnosticsParams, type SemanticTokens } from 'vscode-languageserver-protocol';
import { MODEL_STATUS_NOTIFICATION, type ModelStatus } from '@common/protocol';
import { SEMANTIC_TOKEN_TYPES } from '@common/semanticTokens';
import { DEFAULT_SETTINGS } from '@common/settings';
import { readSentences, wordsOf } from '../../server/src/core/conll/corpus';
import type { TokenLine } from '../../server/src/core/conll/reader';
import { noteText, repeatSentences } from '../../bench/note';
import { EXCERPTS, SHARED_DATA } from './fixtures';
import { assertPositionInside, assertRangeInside, assertTokensInside, FuzzDocument, lineLengths, randomEdit, type Position, type Range, type RangeEdit } from './fuzzDocument';
import { decodeSemanticTokens, startServer, type ServerSession } from './lspClient';
import { caseSeed, Random, TAGS } from './random';

export type SoakLanguage = 'bio' | 'markdown';

export interface SoakDocument {
  language: SoakLanguage;
  uri: string;
  text: string;
  sentences: number;
  source: string;
}

/** BC5CDR's splits beside the checkout, in order; else the repository's BC5CDR excerpt. */
function corpusFiles(): string[] {
  const shared = ['train', 'dev', 'test'].map((split) => path.join(SHARED_DATA, 'BC5CDR', `${split}.tsv`));
  return shared.every(existsSync) ? shared : EXCERPTS.filter((f) => path.basename(f).startsWith('BC5CDR'));
}

/** The same `count` real corpus sentences as a BIO file (its own lines) and as the bench's plain-text note. */
export async function soakDocuments(count: number): Promise<SoakDocument[]> {
  const sentences: TokenLine[][] = [];
  const read: string[] = [];
  for (const file of corpusFiles()) {
    if (sentences.length >= count) break;
    sentences.push(...(await readSentences(file, DEFAULT_SETTINGS)));
    read.push(`${path.basename(path.dirname(file))}/${path.basename(file)}`);
  }
  const chosen = repeatSentences(sentences.slice(0, count), count);
  const source = `${read.join(' + ')}${sentences.length < count ? ', repeated' : ''}`;
  return [
    { language: 'bio', uri: 'file:///soak/corpus.bio', text: chosen.map((s) => s.map((t) => t.line.text).join('\n')).join('\n\n') + '\n', sentences: count, source },
    { language: 'markdown', uri: 'file:///soak/note.md', text: noteText(chosen.map(wordsOf)), sentences: count, source },
  ];
}

export interface Memory {
  /** Resident set size now (VmRSS), in MB. */
  rssMB: number;
  /** Peak resident set size since the process started (VmHWM), in MB. */
  peakMB: number;
}

/** A measuring point: memory as found, then after a full garbage collection of the server's main thread. */
export interface Measured extends Memory {
  /** The main thread's heap in use and held, and its memory outside the heap (buffers); worker threads' heaps are in the RSS only. */
  collected: { rssMB: number; heapMB: number; heapTotalMB: number; externalMB: number };
}

const toMB = (bytes: number) => Math.round(bytes / 104857.6) / 10;

/** The process's memory, worker threads included, from /proc (Linux). */
export function processMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rssMB: toMB(kB('VmRSS') * 1024), peakMB: toMB(kB('VmHWM') * 1024) };
}

const GC_PROBE = path.join(__dirname, 'gcProbe.cjs');

/** A server with the garbage-collection probe preloaded: NODE_OPTIONS reaches the process spawned now, and is put back at once. */
export function startProbedServer(configuration: Record<string, unknown>): Promise<ServerSession> {
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${saved ?? ''} --require "${GC_PROBE}"`.trim();
  try {
    return startServer({ configuration });
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
}

/** The first match of `pattern` in what the server writes to stderr from character `from` on, as it arrives. */
function stderrMatch(session: ServerSession, pattern: RegExp, from: number, limitMs: number, what: string): Promise<RegExpExecArray> {
  const stream = session.process.stderr!;
  let onData = () => undefined as void;
  const found = new Promise<RegExpExecArray>((resolve) => {
    // The session's own listener, added first, has appended the chunk by the time this one runs.
    onData = () => {
      const m = pattern.exec(session.stderr().slice(from));
      if (m) resolve(m);
    };
    stream.on('data', onData);
    onData();
  });
  return within(found, limitMs, what).finally(() => stream.off('data', onData));
}

/** Memory as found, then after the probe has collected all garbage (V8 lets it pile up to a limit that grows with the machine's memory). */
export async function measure(session: ServerSession, limitMs: number): Promise<Measured> {
  const pid = session.process.pid!;
  const found = processMemory(pid);
  // Unhandled, SIGUSR2 would end the server: signal only once the probe has said it listens.
  await stderrMatch(session, /bioner-soak-gc ready\n/, 0, limitMs, 'the garbage-collection probe loading');
  const from = session.stderr().length;
  session.process.kill('SIGUSR2');
  const [, reply] = await stderrMatch(session, /bioner-soak-gc (\{.*\})\n/, from, limitMs, 'a full garbage collection');
  const usage: NodeJS.MemoryUsage = JSON.parse(reply);
  return { ...found, collected: { rssMB: processMemory(pid).rssMB, heapMB: toMB(usage.heapUsed), heapTotalMB: toMB(usage.heapTotal), externalMB: toMB(usage.external) } };
}

export interface SoakOptions {
  document: SoakDocument;
  edits: number;
  seed: number;
  /** The server's settings (workspace/configuration answers). */
  configuration: Record<string, unknown>;
  /** Memory is sampled after every this many edits. */
  sampleEvery: number;
  /** The longest any reply may take, a first pass over the whole document included: longer is a hang. */
  replyLimitMs: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  language: SoakLanguage;
  uri: string;
  source: string;
  sentences: number;
  characters: { before: number; after: number };
  lines: { before: number; after: number };
  edits: number;
  /** Pauses where the client asked for the viewport's tokens, hints and a hover, and waited for them. */
  looks: number;
  /** Pauses where the client waited for the model's pass over the current version (the final one included). */
  settles: number;
  /** Requests sent while typing and cancelled at the next keystroke, and how many of those the server still answered with a result. */
  cancelled: { sent: number; answered: number };
  /** `waitingInEdits`: the part of `edits` spent waiting for replies at looks and settles. */
  seconds: { firstPass: number; edits: number; waitingInEdits: number; settle: number; fresh: number; total: number };
  memory: {
    /** After initialize, before any document (no model loaded yet). */
    start: Measured;
    /** After the first full pass over the document, before the first edit. */
    before: Measured;
    /** At the end of each run of edits that crossed a multiple of `sampleEvery`. */
    samples: ({ edits: number } & Measured)[];
    /** After the last edit, once the server has settled on the final version. */
    after: Measured;
    /** A fresh server after its first pass over the final text: what the text costs without the history. */
    fresh: Measured;
  };
  /** After / before: RSS as found, RSS and main-thread heap after a full garbage collection. */
  growth: { rss: number; collectedRss: number; collectedHeap: number };
  /** The most the main thread's heap may hold after the soak without a leak (see heapAllowanceMB). */
  heapAllowanceMB: number;
  mismatches: string[];
  /** Set when there are mismatches: the final text and every edit sent, in order, to replay them. */
  reproducer?: { finalText: string; edits: RangeEdit[] };
}

/** The server's view of a document once it has settled: what a fresh server must also give for the same text. */
interface FinalState {
  diagnostics: Diagnostic[] | undefined;
  tokens: number[];
  hints: InlayHint[];
}

type Action = (rng: Random, doc: FuzzDocument, shape: Shape) => Generator<RangeEdit, void, void>;

/** What the edits know about the file's form: how its words and tags look. */
interface Shape {
  bio: boolean;
  /** Tags the file uses, which a relabelling picks from (typos of them sometimes). */
  tags: string[];
}

const at = (line: number, character: number): Position => ({ line, character });
const insertAt = (p: Position, text: string): RangeEdit => ({ range: { start: p, end: p }, text });

function lineText(doc: FuzzDocument, line: number): string {
  const start = doc.offsetAt(at(line, 0));
  return doc.text.slice(start, start + doc.lineLength(line));
}

/** Runs of non-space characters on a line: a BIO line's columns, a note's words. */
function fields(text: string): { start: number; end: number }[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
}

/** A line with words on it, found by a few tries (most lines have some). */
function wordyLine(rng: Random, doc: FuzzDocument): number | undefined {
  for (let tries = 0; tries < 20; tries++) {
    const line = rng.int(doc.lineCount);
    if (/\S/.test(lineText(doc, line))) return line;
  }
  return undefined;
}

/** A word from elsewhere in the document: a BIO line's token, any word of the note. */
function someWord(rng: Random, doc: FuzzDocument, shape: Shape): string {
  const line = wordyLine(rng, doc);
  if (line === undefined) return 'aspirin';
  const text = lineText(doc, line);
  const found = fields(text);
  const field = shape.bio ? found[0] : rng.pick(found);
  return text.slice(field.start, field.end);
}

/** A word of a line and whether it is the line's tag (the last of two or more columns of a BIO line). */
function someField(rng: Random, doc: FuzzDocument, shape: Shape): { line: number; start: number; end: number; isTag: boolean } | undefined {
  const line = wordyLine(rng, doc);
  if (line === undefined) return undefined;
  const found = fields(lineText(doc, line));
  const index = rng.int(found.length);
  return { line, ...found[index], isTag: shape.bio && found.length > 1 && index === found.length - 1 };
}

/** The line after `line`'s end: deleting up to there takes the line and its line break. */
function nextLineStart(doc: FuzzDocument, line: number): Position {
  return line + 1 < doc.lineCount ? at(line + 1, 0) : at(line, doc.lineLength(line));
}

function pickTag(rng: Random, shape: Shape): string {
  return rng.chance(0.1) ? rng.pick(TAGS) : rng.pick(shape.tags);
}

/** Typing a word key by key at a word's start or end: into a BIO token, or as a new word (after a space) in the note or after a BIO tag. */
const typeWord: Action = function* (rng, doc, shape) {
  const field = someField(rng, doc, shape);
  if (!field) return;
  const text = (shape.bio && !field.isTag ? '' : ' ') + someWord(rng, doc, shape);
  let character = rng.chance(0.5) ? field.end : field.start;
  for (const key of text) {
    yield insertAt(at(field.line, character), key);
    character += key.length;
  }
};

/** Backspace held for a few keys: deletes whole code points, and joins lines at a line's start. */
const backspace: Action = function* (rng, doc) {
  let offset = rng.int(doc.text.length + 1);
  for (let keys = rng.between(1, 8); keys > 0 && offset > 0; keys--) {
    const pair = offset >= 2 && /^[\ud800-\udbff][\udc00-\udfff]$/.test(doc.text.slice(offset - 2, offset));
    const from = offset - (pair ? 2 : 1);
    yield { range: { start: doc.positionAt(from), end: doc.positionAt(offset) }, text: '' };
    offset = from;
  }
};

/** A double-click and a word typed or pasted over it; a BIO tag gets another tag. */
const replaceWord: Action = function* (rng, doc, shape) {
  const field = someField(rng, doc, shape);
  if (field) yield { range: { start: at(field.line, field.start), end: at(field.line, field.end) }, text: field.isTag ? pickTag(rng, shape) : someWord(rng, doc, shape) };
};

/** Relabelling a BIO token: its tag column replaced. */
const replaceTag: Action = function* (rng, doc, shape) {
  const line = wordyLine(rng, doc);
  if (line === undefined) return;
  const found = fields(lineText(doc, line));
  if (found.length < 2) return;
  const tag = found[found.length - 1];
  yield { range: { start: at(line, tag.start), end: at(line, tag.end) }, text: pickTag(rng, shape) };
};

const deleteWord: Action = function* (rng, doc, shape) {
  const field = someField(rng, doc, shape);
  if (field) yield { range: { start: at(field.line, Math.max(0, field.start - (shape.bio ? 0 : 1))), end: at(field.line, field.end) }, text: '' };
};

/** A copy of another line inserted above a line (a token line, a sentence of the note). */
const insertLine: Action = function* (rng, doc) {
  const source = wordyLine(rng, doc);
  if (source !== undefined) yield insertAt(at(rng.int(doc.lineCount), 0), `${lineText(doc, source)}\n`);
};

const deleteLine: Action = function* (rng, doc) {
  const line = rng.int(doc.lineCount);
  yield { range: { start: at(line, 0), end: nextLineStart(doc, line) }, text: '' };
};

/** A sentence split: a blank line before a BIO line, a paragraph break before a word of the note. */
const split: Action = function* (rng, doc, shape) {
  const field = someField(rng, doc, shape);
  if (field) yield insertAt(at(field.line, shape.bio ? 0 : field.start), shape.bio ? '\n' : '\n\n');
};

/** A sentence join: the next blank line after a random line deleted. */
const join: Action = function* (rng, doc) {
  for (let line = rng.int(doc.lineCount), seen = 0; line < doc.lineCount && seen < 200; line++, seen++) {
    if (lineText(doc, line).trim() !== '') continue;
    yield { range: { start: at(line, 0), end: nextLineStart(doc, line) }, text: '' };
    return;
  }
};

const blockLines = (rng: Random) => rng.between(2, 30);

/** Copy and paste of a block of whole lines elsewhere. */
const paste: Action = function* (rng, doc) {
  const first = rng.int(doc.lineCount);
  const last = Math.min(doc.lineCount - 1, first + blockLines(rng));
  const block = doc.text.slice(doc.offsetAt(at(first, 0)), doc.offsetAt(nextLineStart(doc, last)));
  yield insertAt(at(rng.int(doc.lineCount), 0), block.endsWith('\n') ? block : `${block}\n`);
};

/** A block of whole lines cut: as many as a paste adds, so that the document keeps its size. */
const cut: Action = function* (rng, doc) {
  const first = rng.int(doc.lineCount);
  const last = Math.min(doc.lineCount - 1, first + blockLines(rng));
  yield { range: { start: at(first, 0), end: nextLineStart(doc, last) }, text: '' };
};

/** Markdown: a word made bold or code (two edits, end first), or a line made a heading or a list item. */
const markup: Action = function* (rng, doc, shape) {
  const field = someField(rng, doc, shape);
  if (!field) return;
  if (rng.chance(0.3)) {
    yield insertAt(at(field.line, 0), rng.pick(['# ', '## ', '- ', '> ', '1. ']));
    return;
  }
  const mark = rng.pick(['**', '`', '_']);
  yield insertAt(at(field.line, field.end), mark);
  yield insertAt(at(field.line, field.start), mark);
};

/** The fuzzer's edits (odd positions, surrogate halves, \r, invisible characters), those within two lines: its far-reaching deletions would empty the document. */
const awkward: Action = function* (rng, doc) {
  for (let tries = 0; tries < 10; tries++) {
    const edit = randomEdit(rng, doc);
    if (edit.range.end.line - edit.range.start.line > 1) continue;
    yield edit;
    return;
  }
};

const ACTIONS: Record<SoakLanguage, [Action, number][]> = {
  bio: [[typeWord, 3], [backspace, 3], [replaceWord, 2], [replaceTag, 4], [deleteWord, 1], [insertLine, 1], [deleteLine, 1], [split, 1], [join, 1], [paste, 0.5], [cut, 0.5], [awkward, 0.3]],
  markdown: [[typeWord, 4], [backspace, 3], [replaceWord, 2], [deleteWord, 1], [markup, 1], [insertLine, 1], [deleteLine, 1], [split, 1], [join, 1], [paste, 0.5], [cut, 0.5], [awkward, 0.3]],
};

function pickWeighted<T>(rng: Random, items: readonly [T, number][]): T {
  let r = rng.next() * items.reduce((n, [, w]) => n + w, 0);
  for (const [item, weight] of items) if ((r -= weight) < 0) return item;
  return items[items.length - 1][0];
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const VIEWPORT_LINES = 60;

/** Runs the soak on one document with a server of its own and, at the end, a fresh one for the comparison. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { document, seed } = options;
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const mismatches: string[] = [];
  const mismatch = (message: string) => {
    if (!mismatches.includes(message)) mismatches.push(message);
  };
  const server = await startProbedServer(options.configuration);
  const { request, alive } = guard(server, options.replyLimitMs);
  const start = await measure(server, options.replyLimitMs);
  const publishes = recordPublishes(server, document.uri, mismatch);
  const shape: Shape = { bio: document.language === 'bio', tags: [...new Set(document.text.match(/(?<=\t)\S+(?=\n)/g) ?? ['O'])] };
  const doc = new FuzzDocument(document.text);
  const uri = document.uri;
  let version = 1;
  const sent: RangeEdit[] = [];
  const counts = { looks: 0, settles: 0, cancelledSent: 0, cancelledAnswered: 0 };
  const pending: Promise<void>[] = [];

  /** Checks a reply's ranges against the document as the client has it when the reply comes. */
  const inside = (what: string, check: (lengths: number[]) => void) => {
    try {
      check(lineLengths(doc.text));
    } catch (error) {
      mismatch(`${what}: ${(error as Error).message}`);
    }
  };
  const whole = (): Range => ({ start: at(0, 0), end: at(doc.lineCount - 1, doc.lineLength(doc.lineCount - 1)) });
  const viewport = (line: number): Range => {
    const first = Math.max(0, line - VIEWPORT_LINES / 2);
    const last = Math.min(doc.lineCount - 1, first + VIEWPORT_LINES);
    return { start: at(first, 0), end: at(last, doc.lineLength(last)) };
  };

  /** Waits for the model's pass over the current version and reads a server's view of it. */
  const settle = async (ask: Guarded['request'], published: Publishes, what: string): Promise<FinalState> => {
    counts.settles++;
    // Inlay hints wait for the BIO model pass, whose diagnostics are published before the reply; prose tokens wait for the prose pass.
    const hints = shape.bio ? await ask<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: whole() }) : [];
    const tokens = await ask<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
    inside(`${what}: semantic token`, (lengths) => assertTokensInside(lengths, tokens.data, 'semantic token'));
    inside(`${what}: inlay hint`, (lengths) => hints.forEach((h) => assertPositionInside(lengths, h.position, 'inlay hint')));
    const last = published.last;
    if (shape.bio && last?.version !== version) mismatch(`${what}: the last diagnostics published are for version ${last?.version}, not the current ${version}`);
    if (last) inside(`${what}: diagnostic`, (lengths) => last.diagnostics.forEach((d) => assertRangeInside(lengths, d.range, 'diagnostic')));
    return { diagnostics: last?.diagnostics, tokens: tokens.data, hints };
  };

  /** An editor after a pause: the viewport's tokens and hints and a hover at the cursor, awaited. */
  const look = async (cursor: Position) => {
    counts.looks++;
    const range = viewport(cursor.line);
    const tokens = await request<SemanticTokens>('textDocument/semanticTokens/range', { textDocument: { uri }, range });
    inside('viewport semantic token', (lengths) => assertTokensInside(lengths, tokens.data, 'semantic token'));
    if (shape.bio) {
      const hints = await request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range });
      inside('viewport inlay hint', (lengths) => hints.forEach((h) => assertPositionInside(lengths, h.position, 'inlay hint')));
    }
    const hover = await request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: cursor });
    if (hover?.range) inside('hover', (lengths) => assertRangeInside(lengths, hover.range!, 'hover'));
  };

  /** While typing, the editor asks for the viewport's tokens and cancels the request at the next keystroke. */
  let inFlight: CancellationTokenSource | undefined;
  const askWhileTyping = (cursor: Position) => {
    const source = new CancellationTokenSource();
    inFlight = source;
    counts.cancelledSent++;
    const reply = server.connection.sendRequest<SemanticTokens>('textDocument/semanticTokens/range', { textDocument: { uri }, range: viewport(cursor.line) }, source.token);
    pending.push(
      reply.then(
        () => void counts.cancelledAnswered++,
        (error) => {
          if (!(error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled)) mismatch(`a cancelled request failed: ${(error as Error).message}`);
        },
      ),
    );
  };

  const opened = performance.now();
  server.open(uri, doc.text, document.language, version);
  await settle(request, publishes, 'first pass');
  const firstPass = (performance.now() - opened) / 1000;
  const statuses = server.notifications(MODEL_STATUS_NOTIFICATION.method) as ModelStatus[];
  if (statuses[statuses.length - 1]?.state !== 'ready') mismatch(`the model is not on: its last status is ${JSON.stringify(statuses[statuses.length - 1])}`);
  const before = await measure(server, options.replyLimitMs);
  const samples: SoakResult['memory']['samples'] = [];
  log(`${document.language}: first pass ${firstPass.toFixed(1)} s, RSS ${before.rssMB} MB; ${options.edits} edits`);

  const rng = new Random(caseSeed(seed, document.language, 0));
  /** Sends an edit the model has applied: the typed request in flight is cancelled, as editors do. */
  const send = (edit: RangeEdit) => {
    inFlight?.cancel();
    inFlight = undefined;
    sent.push(edit);
    server.edit(uri, ++version, edit.range, edit.text);
    if (sent.length % options.sampleEvery === 0) sampleDue = true;
  };
  const editsStarted = performance.now();
  let sampleDue = false;
  let waited = 0;
  let cursor = at(0, 0);
  while (sent.length < options.edits) {
    // A run of edits: keys typed tens of milliseconds apart, or a burst (key repeat, a macro, replace-all) sent back to back.
    const typing = rng.chance(0.6);
    const size = typing ? rng.between(5, 40) : rng.between(10, 80);
    const burst: RangeEdit[] = [];
    let lastSent = performance.now();
    for (let n = 0; n < size && sent.length + burst.length < options.edits; ) {
      for (const edit of pickWeighted(rng, ACTIONS[document.language])(rng, doc, shape)) {
        // Applied at once: the action's next edit is computed on the text this one makes.
        doc.apply(edit);
        n++;
        cursor = edit.range.start;
        if (typing) {
          // The pause since the last key, minus the time the model took to apply this one.
          await delay(rng.between(15, 90) - (performance.now() - lastSent));
          send(edit);
          lastSent = performance.now();
          if (rng.chance(0.15)) askWhileTyping(cursor);
        } else burst.push(edit);
        if (sent.length + burst.length >= options.edits) break;
      }
    }
    burst.forEach(send);
    alive();
    if (sampleDue) {
      // Measured after the run rather than inside it, so that the collection does not split a burst.
      const sample = { edits: sent.length, ...(await measure(server, options.replyLimitMs)) };
      samples.push(sample);
      sampleDue = false;
      log(`${document.language}: ${sample.edits} edits, RSS ${sample.rssMB} MB, ${sample.collected.rssMB} MB after a full collection (heap ${sample.collected.heapMB} MB)`);
    }
    // Later edits of the run may have moved the text under the cursor: back inside the document.
    const pause = performance.now();
    if (rng.chance(0.3)) await look(doc.positionAt(doc.offsetAt(cursor)));
    if (rng.chance(0.04)) await settle(request, publishes, `after edit ${sent.length}`);
    waited += performance.now() - pause;
  }
  const editsSeconds = (performance.now() - editsStarted) / 1000;
  const settleStarted = performance.now();
  const final = await settle(request, publishes, 'after the last edit');
  await within(Promise.all(pending), options.replyLimitMs, 'requests sent while typing').catch((error: Error) => mismatch(error.message));
  const settleSeconds = (performance.now() - settleStarted) / 1000;
  const after = await measure(server, options.replyLimitMs);
  log(`${document.language}: ${sent.length} edits in ${editsSeconds.toFixed(0)} s, settled in ${settleSeconds.toFixed(1)} s; RSS ${after.rssMB} MB (peak ${after.peakMB} MB), ${after.collected.rssMB} MB after a full collection`);

  const freshStarted = performance.now();
  const fresh = await startProbedServer(options.configuration);
  const freshPublishes = recordPublishes(fresh, uri, mismatch);
  fresh.open(uri, doc.text, document.language, version);
  const expected = await settle(guard(fresh, options.replyLimitMs).request, freshPublishes, 'fresh server');
  const freshMemory = await measure(fresh, options.replyLimitMs);
  await fresh.stop();
  const freshSeconds = (performance.now() - freshStarted) / 1000;
  compare(final, expected, doc, mismatch);

  // Analysis failures and unhandled rejections reach the client as error messages: each is an exception the edits caused.
  for (const { type, message } of server.notifications('window/logMessage') as { type: number; message: string }[]) if (type === 1) mismatch(`the server logged an error: ${message.slice(0, 500)}`);
  if (server.process.exitCode !== null || server.process.signalCode !== null) mismatch(`the server died (${server.process.exitCode ?? server.process.signalCode})`);
  else {
    await server.stop();
    if (server.process.exitCode !== 0) mismatch(`the server exited with ${server.process.exitCode ?? server.process.signalCode} after shutdown`);
  }
  return {
    language: document.language,
    uri,
    source: document.source,
    sentences: document.sentences,
    characters: { before: document.text.length, after: doc.text.length },
    lines: { before: lineLengths(document.text).length, after: doc.lineCount },
    edits: sent.length,
    looks: counts.looks,
    settles: counts.settles,
    cancelled: { sent: counts.cancelledSent, answered: counts.cancelledAnswered },
    seconds: { firstPass, edits: editsSeconds, waitingInEdits: waited / 1000, settle: settleSeconds, fresh: freshSeconds, total: (performance.now() - started) / 1000 },
    memory: { start, before, samples, after, fresh: freshMemory },
    growth: { rss: ratio(after.rssMB, before.rssMB), collectedRss: ratio(after.collected.rssMB, before.collected.rssMB), collectedHeap: ratio(after.collected.heapMB, before.collected.heapMB) },
    heapAllowanceMB: heapAllowanceMB(start, before, document.sentences, sent.length),
    mismatches,
    ...(mismatches.length > 0 && { reproducer: { finalText: doc.text, edits: sent } }),
  };
}

/** V8's own growth over a run (compiled code, inline caches, buffers it warms up), whatever the document. */
const HEAP_SLACK_MB = 20;

/**
 * The heap a leak-free server may hold after the edits: the prediction cache gains at most one entry per sentence
 * version the model sees, so at most one per edit, and an entry costs less than a whole sentence does after the first
 * pass (its analysis, segments and prediction: the heap over that at start, per sentence, about 14 KB). Versions of
 * the document kept alive (a V8 slice in a cache pins its whole text, 0.1-1 MB per model pass) cross it.
 */
function heapAllowanceMB(start: Measured, before: Measured, sentences: number, edits: number): number {
  const perSentence = Math.max(0, before.collected.heapMB - start.collected.heapMB) / sentences;
  return Math.round(before.collected.heapMB + perSentence * edits + HEAP_SLACK_MB);
}

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

/** Rejects when `promise` takes longer than `limitMs`, without a timer left behind to hold the process. */
function within<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no reply to ${what} within ${limitMs} ms`)), limitMs)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

interface Guarded {
  /** A request whose reply must come within the limit, and before the server exits. */
  request<R>(method: string, params: object): Promise<R>;
  /** Throws once the server has exited. */
  alive(): void;
}

function guard(session: ServerSession, limitMs: number): Guarded {
  let exit: Error | undefined;
  const exited = session.exited.then(({ code, signal }) => {
    throw (exit = new Error(`the server exited (${code ?? signal})`));
  });
  exited.catch(() => undefined);
  return {
    request: <R>(method: string, params: object) => within(Promise.race([session.connection.sendRequest<R>(method, params), exited]), limitMs, method),
    alive() {
      if (exit) throw exit;
    },
  };
}

interface Publishes {
  last?: PublishDiagnosticsParams;
}

/** Keeps the last diagnostics published for a URI (not all: each can hold a thousand) and checks versions never go back. */
function recordPublishes(session: ServerSession, uri: string, mismatch: (message: string) => void): Publishes {
  const record: Publishes = {};
  const arm = () =>
    void session.diagnostics(uri).then((params) => {
      const previous = record.last?.version;
      if (previous !== undefined && params.version !== undefined && params.version < previous) mismatch(`diagnostics of version ${params.version} were published after those of version ${previous}`);
      record.last = params;
      arm();
    });
  arm();
  return record;
}

/** The first entry where two lists differ, as text for a report. */
function firstDifference<T>(actual: readonly T[], expected: readonly T[], describe: (item: T | undefined) => string): string | undefined {
  const length = Math.max(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (JSON.stringify(actual[i]) === JSON.stringify(expected[i])) continue;
    return `${actual.length} against ${expected.length}; the first difference, at ${i}: ${describe(actual[i])} where a fresh server has ${describe(expected[i])}`;
  }
  return undefined;
}

/** The soaked server's final view against a fresh server's on the same text: anything else is stale state. */
function compare(final: FinalState, fresh: FinalState, doc: FuzzDocument, mismatch: (message: string) => void): void {
  const line = (n: number) => JSON.stringify(lineText(doc, n).slice(0, 120));
  const diagnostics = firstDifference(final.diagnostics ?? [], fresh.diagnostics ?? [], (d) =>
    d ? `${d.code} on line ${d.range.start.line} ${line(d.range.start.line)}: ${d.message}` : 'nothing',
  );
  if (diagnostics) mismatch(`final diagnostics differ: ${diagnostics}`);
  const tokens = firstDifference(decodeSemanticTokens(final.tokens, [...SEMANTIC_TOKEN_TYPES]), decodeSemanticTokens(fresh.tokens, [...SEMANTIC_TOKEN_TYPES]), (t) =>
    t ? `a token at ${t.line}:${t.start} (${t.length} long, type ${t.type}, modifiers ${t.modifiers}) on ${line(t.line)}` : 'nothing',
  );
  if (tokens) mismatch(`final semantic tokens differ (stale tokens): ${tokens}`);
  const hints = firstDifference(final.hints, fresh.hints, (h) => (h ? `'${h.label}' at ${h.position.line}:${h.position.character} on ${line(h.position.line)}` : 'nothing'));
  if (hints) mismatch(`final inlay hints differ (stale predictions): ${hints}`);
}
