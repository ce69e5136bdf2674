/** Starts `node dist/server.js --stdio` and speaks LSP to it, as an editor would. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, ErrorCodes, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { ROOT } from './fixtures';

export interface ServerSession {
  connection: MessageConnection;
  process: ChildProcess;
  /** Resolves with the next diagnostics published for `uri` (optionally for a given version, or that `accept` takes). */
  diagnostics(uri: string, version?: number, accept?: (diagnostics: Diagnostic[]) => boolean): Promise<PublishDiagnosticsParams>;
  /** Notifications of a method received so far. */
  notifications(method: string): unknown[];
  /** Resolves with the first notification of `method`, from now on, that `accept` takes. */
  nextNotification<P>(method: string, accept?: (params: P) => boolean): Promise<P>;
  /** Methods of the server-to-client requests received so far, answered or not. */
  requests(): string[];
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the process ends: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  open(uri: string, text: string, languageId?: string, version?: number): void;
  change(uri: string, version: number, text: string): void;
  /** An incremental change, as editors send while typing. */
  edit(uri: string, version: number, range: { start: { line: number; character: number }; end: { line: number; character: number } }, text: string): void;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Answers to workspace/configuration (read at each request, so a test may change it); none: not declared. */
  configuration?: Record<string, unknown>;
  initializationOptions?: Record<string, unknown>;
  /**
   * Declares no optional capability at all (no configuration, refreshes, progress, semantic tokens, inlay hints) and
   * answers every server-to-client request MethodNotFound, as plain clients such as Neovim 0.7 do.
   */
  minimal?: boolean;
  /** Declares the usual capabilities but answers every server-to-client request with an error. */
  rejectRequests?: boolean;
  /** Workspace folders, as URIs: the corpus index reads the BIO files under them. */
  workspaceFolders?: string[];
}

const FULL_CAPABILITIES = {
  workspace: {
    semanticTokens: { refreshSupport: true },
    inlayHint: { refreshSupport: true },
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true, changeAnnotationSupport: { groupsOnLabel: true } },
    symbol: {},
  },
  window: { workDoneProgress: true },
  textDocument: {
    semanticTokens: { requests: { full: true, range: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] },
    inlayHint: {},
    publishDiagnostics: { relatedInformation: true, versionSupport: true },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } } },
    hover: { contentFormat: ['markdown'] },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
  },
};

export async function startServer(options: StartOptions = {}): Promise<ServerSession> {
  // BIONER_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") profiles the server of a bench.
  const nodeArgs = process.env.BIONER_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; version?: number; accept?: (diagnostics: Diagnostic[]) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  const received = new Map<string, unknown[]>();
  connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
    published.push(params);
    for (const waiter of [...waiters]) {
      if (waiter.uri === params.uri && (waiter.version === undefined || waiter.version === params.version) && (waiter.accept?.(params.diagnostics) ?? true)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(params);
      }
    }
  });
  const listeners: { method: string; accept: (params: never) => boolean; resolve: (params: never) => void }[] = [];
  const record = (method: string, params: unknown) => {
    received.set(method, [...(received.get(method) ?? []), params]);
    for (const listener of [...listeners]) {
      if (listener.method === method && listener.accept(params as never)) {
        listeners.splice(listeners.indexOf(listener), 1);
        listener.resolve(params as never);
      }
    }
  };
  connection.onNotification(record);
  // jsonrpc routes $/progress to per-token handlers; the client registers none, so it arrives here.
  connection.onUnhandledProgress((params) => record('$/progress', params));
  const configuration = options.configuration;
  const requests: string[] = [];
  const answers: Record<string, (params: never) => unknown> = options.minimal || options.rejectRequests
    ? {}
    : {
        'workspace/configuration': (params: { items: unknown[] }) => params.items.map(() => configuration ?? {}),
        'client/registerCapability': () => null,
        'window/workDoneProgress/create': () => null,
        'workspace/semanticTokens/refresh': () => null,
        'workspace/inlayHint/refresh': () => null,
      };
  connection.onRequest((method, params) => {
    requests.push(method);
    const answer = answers[method];
    if (!answer) throw new ResponseError(options.rejectRequests ? ErrorCodes.InternalError : ErrorCodes.MethodNotFound, `Unhandled method ${method}`);
    return answer(params as never);
  });
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: options.workspaceFolders?.[0] ?? null,
    workspaceFolders: options.workspaceFolders?.map((uri) => ({ uri, name: path.basename(uri) })) ?? null,
    initializationOptions: options.initializationOptions,
    capabilities: options.minimal ? {} : { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, configuration: configuration !== undefined } },
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    process: child,
    diagnostics: (uri, version, accept) => new Promise((resolve) => waiters.push({ uri, version, accept, resolve })),
    notifications: (method) => received.get(method) ?? [],
    nextNotification: <P>(method: string, accept: (params: P) => boolean = () => true) =>
      new Promise<P>((resolve) => listeners.push({ method, accept: accept as (params: never) => boolean, resolve: resolve as (params: never) => void })),
    requests: () => [...requests],
    stderr: () => stderr,
    exited,
    open: (uri, text, languageId = 'bio', version = 1) =>
      void connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } }),
    change: (uri, version, text) => void connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] }),
    edit: (uri, version, range, text) => void connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text }] }),
    async stop() {
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      connection.dispose();
      await exited;
    },
  };
}

/** Decodes LSP's relative semantic token encoding into absolute tokens. */
export function decodeSemanticTokens(data: number[], legend: string[]): { line: number; start: number; length: number; type: string; modifiers: number }[] {
  const tokens = [];
  let line = 0;
  let start = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    start = data[i] === 0 ? start + data[i + 1] : data[i + 1];
    tokens.push({ line, start, length: data[i + 2], type: legend[data[i + 3]], modifiers: data[i + 4] });
  }
  return tokens;
}

/** What a client does with a semantic tokens answer: takes its data, or makes its edits (a delta) on the tokens it holds. */
export function appliedSemanticTokens(held: readonly number[], answer: { data: number[] } | { edits: { start: number; deleteCount: number; data?: number[] }[] }): number[] {
  if ('data' in answer) return answer.data;
  const data = [...held];
  for (const edit of [...answer.edits].reverse()) data.splice(edit.start, edit.deleteCount, ...(edit.data ?? []));
  return data;
}

/** Applies an LSP TextEdit list to a text. */
export function applyTextEdits(text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let result = text;
  for (const edit of sorted) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  return result;
}
