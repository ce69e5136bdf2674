/** Privacy: the CLI and the language server open no network connection while checking, annotating, evaluating and serving LSP. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Diagnostic, Hover, PublishDiagnosticsParams, SemanticTokens } from 'vscode-languageserver-protocol';
import { bio, EXCERPTS, ROOT } from '../support/fixtures';

// Two guards, each run against an unguarded baseline that must give the same output:
// - `unshare -n`: a network namespace without interfaces, where any connection fails (native code included);
// - test/support/denyNetwork.cjs preloaded: every Node network API throws and records the attempt.
// Both run the default model (models/default), as a user who configured nothing would.

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-privacy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

const PRELOAD = path.join(ROOT, 'test', 'support', 'denyNetwork.cjs');
const probe = spawnSync('unshare', ['-n', 'true'], { encoding: 'utf8' });
const NO_UNSHARE = probe.status === 0 ? false : `unshare -n is not permitted here (${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]}): it needs root or unprivileged user namespaces`;

type Guard = 'none' | 'unshare' | 'preload';
let runs = 0;

/** `node ARGS` under a guard; with the preload, the files its attempts and its loads are recorded in. */
function guarded(guard: Guard, args: string[]) {
  const log = path.join(dir, `network-${++runs}.log`);
  const node = guard === 'preload' ? [process.execPath, '--require', PRELOAD, ...args] : [process.execPath, ...args];
  const [file, ...argv] = guard === 'unshare' ? ['unshare', '-n', ...node] : node;
  return { file, argv, env: { ...process.env, DENY_NETWORK_LOG: log }, log };
}

/** What the preload recorded: no attempt, and the threads it was loaded in (0 is the main thread). */
function record(log: string): { attempts: string; threads: number[] } {
  const attempts = existsSync(log) ? readFileSync(log, 'utf8') : '';
  const threads = readFileSync(`${log}.loaded`, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { thread: number }).thread);
  return { attempts, threads };
}

const excerpt = readFileSync(EXCERPTS[0], 'utf8').split(/\n\n/).slice(0, 20).join('\n\n') + '\n';
const SMALL = write('small.bio', excerpt);
const ERRORS = write('errors.bio', bio('a O', 'b I-Disease', '', 'c B_Disease'));
const NOTES = write('notes.md', '# Notes\n\nThe patient was given aspirin for breast cancer and developed nausea.\n');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CASES: Record<string, string[]> = {
  check: ['check', SMALL, ERRORS, '--format', 'json'],
  'annotate BIO': ['annotate', SMALL],
  'annotate Markdown': ['annotate', NOTES, '--format', 'jsonl'],
  eval: ['eval', SMALL, '--json'],
};

function cli(guard: Guard, args: string[]) {
  const command = guarded(guard, [CLI, ...args]);
  const result = spawnSync(command.file, command.argv, { env: command.env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, log: command.log };
}

const baselines = new Map<string, ReturnType<typeof cli>>();
function baseline(name: string) {
  if (!baselines.has(name)) baselines.set(name, cli('none', CASES[name]));
  return baselines.get(name)!;
}

test('the preload denies and records network calls in the main thread and in worker threads', { timeout: 10_000 }, () => {
  const script = [
    "const { Worker, isMainThread } = require('node:worker_threads');",
    "const tries = { net: () => require('node:net').connect(9, '127.0.0.1'), dns: () => require('node:dns').lookup('example.org', () => {}), fetch: () => fetch('https://example.org/') };",
    "const failed = Object.entries(tries).filter(([, f]) => { try { f(); return false; } catch (e) { return e.code === 'EACCES'; } }).map(([n]) => n);",
    "console.log(JSON.stringify(failed));",
    'if (isMainThread) new Worker(__filename);',
  ].join('\n');
  const command = guarded('preload', [write('probe.js', script)]);
  const result = spawnSync(command.file, command.argv, { env: command.env, encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ['["net","dns","fetch"]', '["net","dns","fetch"]']);
  const attempts = readFileSync(command.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { api: string; thread: number });
  assert.deepEqual(attempts.map((a) => `${a.thread} ${a.api}`), ['0 net.connect', '0 dns.lookup', '0 fetch', '1 net.connect', '1 dns.lookup', '1 fetch']);
});

test('the CLI under the preload: no network call, same output', { timeout: 120_000 }, () => {
  for (const name of Object.keys(CASES)) {
    const plain = baseline(name);
    assert.ok(plain.status === 0 || (name === 'check' && plain.status === 1), `${name}: ${plain.stderr}`);
    const run = cli('preload', CASES[name]);
    assert.equal(run.status, plain.status, `${name}: ${run.stderr}`);
    assert.equal(run.stdout, plain.stdout, name);
    const { attempts, threads } = record(run.log);
    assert.equal(attempts, '', `${name} tried the network`);
    // The model runs in worker threads: they were guarded too.
    if (name !== 'check') assert.ok(threads.includes(0) && threads.some((t) => t > 0), `${name}: preload loaded in threads ${threads}`);
  }
});

test('the CLI in a network namespace without interfaces: same output', { timeout: 120_000, skip: NO_UNSHARE }, () => {
  // Control: no connection is possible there, not even to 127.0.0.1.
  const control = spawnSync('unshare', ['-n', process.execPath, '-e', "require('node:net').connect(9, '127.0.0.1').on('error', (e) => console.log(e.code))"], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(control.stdout.trim(), 'ENETUNREACH');
  for (const name of Object.keys(CASES)) {
    const plain = baseline(name);
    const run = cli('unshare', CASES[name]);
    assert.equal(run.status, plain.status, `${name}: ${run.stderr}`);
    assert.equal(run.stdout, plain.stdout, name);
  }
});

const BIO_TEXT = bio('Patients O', 'with O', 'breast O', 'cancer O', 'were O', 'studied O', '. O', '', 'a O', 'b I-Disease');
const MARKDOWN = '# Case notes\n\nPatients with Duchenne muscular dystrophy and breast cancer were given cisplatin.\n';

/** An LSP session as an editor has it: a BIO file and a Markdown file opened, their diagnostics, tokens and hovers. */
async function lspSession(guard: Guard) {
  const command = guarded(guard, [path.join(ROOT, 'dist', 'server.js'), '--stdio']);
  const child = spawn(command.file, command.argv, { env: command.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const bioUri = pathToFileURL(write(`lsp-${guard}.bio`, BIO_TEXT)).href;
  const mdUri = pathToFileURL(write(`lsp-${guard}.md`, MARKDOWN)).href;
  const published = new Map<string, Diagnostic[]>();
  let onPublish: () => void = () => {};
  connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
    published.set(params.uri, params.diagnostics);
    onPublish();
  });
  // Whatever the server asks (configuration, progress, refreshes): the defaults, as a plain client answers.
  connection.onRequest(() => null);
  connection.listen();
  try {
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { textDocument: { semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] }, hover: { contentFormat: ['markdown'] } } },
    });
    await connection.sendNotification('initialized', {});
    const disagreement = new Promise<void>((resolve) => {
      onPublish = () => {
        if (published.get(bioUri)?.some((d) => d.code === 'model-disagreement')) resolve();
      };
    });
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: bioUri, languageId: 'bio', version: 1, text: BIO_TEXT } });
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: mdUri, languageId: 'markdown', version: 1, text: MARKDOWN } });
    await disagreement;
    const tokens: SemanticTokens = await connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri: mdUri } });
    const hover = async (uri: string, line: number, character: number) =>
      ((await connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } })) as Hover | null)?.contents;
    const view = {
      bioDiagnostics: published.get(bioUri)!.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.code} ${d.message}`),
      markdownTokens: tokens.data,
      bioHover: await hover(bioUri, 3, 2),
      markdownHover: await hover(mdUri, 2, 'Patients with Duchenne muscular dys'.length),
    };
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    return { view, exitCode: await exited, stderr, log: command.log };
  } finally {
    connection.dispose();
    child.kill();
  }
}

let lspBaseline: ReturnType<typeof lspSession> | undefined;

test('the language server under the preload: no network call, same diagnostics, tokens and hovers', { timeout: 120_000 }, async () => {
  lspBaseline ??= lspSession('none');
  const plain = await lspBaseline;
  assert.equal(plain.exitCode, 0, plain.stderr);
  const diagnostics = plain.view.bioDiagnostics;
  assert.ok(diagnostics.some((d) => / invalid-start /.test(d)) && diagnostics.some((d) => / model-disagreement .*cancer/.test(d)), diagnostics.join('\n'));
  assert.match(JSON.stringify(plain.view.markdownHover), /Disease/);
  const run = await lspSession('preload');
  assert.equal(run.exitCode, 0, run.stderr);
  assert.deepEqual(run.view, plain.view);
  const { attempts, threads } = record(run.log);
  assert.equal(attempts, '', 'the server tried the network');
  assert.ok(threads.includes(0) && threads.some((t) => t > 0), `preload loaded in threads ${threads}`);
});

test('the language server in a network namespace without interfaces: same diagnostics, tokens and hovers', { timeout: 120_000, skip: NO_UNSHARE }, async () => {
  lspBaseline ??= lspSession('none');
  const plain = await lspBaseline;
  const run = await lspSession('unshare');
  assert.equal(run.exitCode, 0, run.stderr);
  assert.deepEqual(run.view, plain.view);
});
