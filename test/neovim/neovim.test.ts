/**
 * The built server under headless Neovim 0.7's LSP client, which declares no refreshes, semantic tokens or inlay hints;
 * once with the model run by the server, once with bioner.inference.endpoint (from Neovim's `settings`) on a real
 * tritonserver.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bio, DEFAULT_MODEL, EXCERPTS, ROOT } from '../support/fixtures';
import { unavailable, type InferenceServerUnderTest } from '../support/inferenceServers';
import { TRITON_VENV } from '../support/servingVenv';
import { TRITON, tritonInferences } from '../support/tritonServer';

/** Each wait inside Neovim (model load included); the whole run gets a little more than a few of them. */
const WAIT_MS = 60_000;
const RUN_MS = 4 * WAIT_MS;

const ERRORS = bio('Treatment O', 'with O', 'aspirin B-Chemical', 'sodium I-Chemical', 'reduced O', 'hypertension B-Disease', '. O', '', 'High O', 'fever I-Disease', 'was O', 'seen B_Disease', '. O');
const NOTE = '# Discharge note\n\nThe patient was treated with aspirin for hypertension and went home.\n';

interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
interface Session {
  steps: string[];
  filetypes?: { bio: string; markdown: string };
  publishes: { uri: string; diagnostics: { code: string; source: string; severity: number; range: Range }[] }[];
  hovers: Record<string, { value: string | null; error?: string }>;
  symbols_answered?: boolean;
  alive?: { client_running: boolean; not_exited: boolean; process_running: boolean };
  exit: { code: number; signal: number; before_stop: boolean } | null;
  stop_ms?: number;
  stopped_mid_pass?: boolean;
  unanswered_requests: string[];
  error?: string;
}

const dir = mkdtempSync(path.join(tmpdir(), 'bioner-neovim-'));
const workspace = path.join(dir, 'workspace');
/** What one Neovim session left: its result, the server's stderr and Neovim's own output. */
interface Run {
  name: string;
  session: Session;
  stderrFile: string;
  nvimOutput: string;
}
/** The session with the model run by the server itself, and (when PyPI is reachable) by a tritonserver. */
let local: Run;
let remote: Run | undefined;
let unreachable: string | undefined;
let triton: InferenceServerUnderTest | undefined;
let session: Session;

/** What a failure message needs: how far the session got, why it stopped, and the server's own stderr. */
function context(run: Omit<Run, 'session'> & { session?: Session } = local): string {
  const stderr = existsSync(run.stderrFile) ? readFileSync(run.stderrFile, 'utf8').trim() : '(no stderr file)';
  return [
    `session: ${run.name}`,
    `steps: ${run.session?.steps.join(' → ') || '(none)'}`,
    `session error: ${run.session?.error ?? 'none'}`,
    `server exit: ${JSON.stringify(run.session?.exit)}`,
    `requests Neovim answered MethodNotFound: ${JSON.stringify(run.session?.unanswered_requests)}`,
    `server stderr:\n${stderr || '(empty)'}`,
    `nvim output:\n${run.nvimOutput.trim() || '(empty)'}`,
  ].join('\n');
}

/** Runs the Lua session to its end; kills Neovim's process group (server included) if it overruns. */
async function runNeovim(name: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const xdg = (kind: string) => path.join(dir, name, 'xdg', kind);
  const resultFile = path.join(dir, name, 'result.json');
  const run = { name, stderrFile: path.join(dir, name, 'server-stderr.log'), nvimOutput: '' };
  mkdirSync(path.join(dir, name));
  const child = spawn('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${path.join(__dirname, 'session.lua').replace(/ /g, '\\ ')}`], {
    cwd: workspace,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Neovim's LSP log (read by the session) and any state land in the temp dir, never in $HOME.
      XDG_CONFIG_HOME: xdg('config'),
      XDG_DATA_HOME: xdg('data'),
      XDG_STATE_HOME: xdg('state'),
      XDG_CACHE_HOME: xdg('cache'),
      BIONER_NODE: process.execPath,
      BIONER_SERVER: path.join(ROOT, 'dist', 'server.js'),
      BIONER_WORKSPACE: workspace,
      BIONER_RESULT: resultFile,
      BIONER_STDERR: run.stderrFile,
      BIONER_TIMEOUT_MS: String(WAIT_MS),
      ...extraEnv,
    },
  });
  child.stdout.on('data', (chunk) => (run.nvimOutput += chunk));
  child.stderr.on('data', (chunk) => (run.nvimOutput += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`nvim ran past ${RUN_MS} ms\n${context(run)}`));
    }, RUN_MS);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  assert.ok(existsSync(resultFile), `the Lua session wrote no result\n${context(run)}`);
  return { ...run, session: JSON.parse(readFileSync(resultFile, 'utf8')) as Session };
}

before(
  async () => {
    mkdirSync(workspace);
    writeFileSync(path.join(workspace, 'errors.bio'), ERRORS);
    writeFileSync(path.join(workspace, 'note.md'), NOTE);
    // About 0.6 MB of real sentences: the model's pass over it is still running when the client stops the server.
    writeFileSync(path.join(workspace, 'large.bio'), readFileSync(EXCERPTS[0], 'utf8').repeat(8));
    local = await runNeovim('local');
    session = local.session;
    unreachable = unavailable(TRITON_VENV);
    if (unreachable) return;
    // The default model's graph, which the server would run itself, under the name it asks for by default.
    triton = await TRITON.start({ folder: DEFAULT_MODEL, name: 'default', maxBatch: 64 });
    remote = await runNeovim('remote', { BIONER_ENDPOINT: triton.rest });
  },
  { timeout: 2 * RUN_MS + 60_000 },
);
after(async () => {
  await triton?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('Neovim opens the files as bio and markdown, from the README filetype mapping', { timeout: 1000 }, () => {
  assert.deepEqual(session.filetypes, { bio: 'bio', markdown: 'markdown' }, context());
});

test('the planted BIO errors arrive as pushed diagnostics with their codes and ranges', { timeout: 1000 }, () => {
  const uri = pathToFileURL(path.join(workspace, 'errors.bio')).href;
  const published = session.publishes.filter((p) => p.uri === uri);
  assert.ok(published.length > 0, `no diagnostics for ${uri}\n${context()}`);
  // Later publishes may add the model's notes; the gold checks must be the same in each.
  for (const { diagnostics } of published) {
    assert.deepEqual(
      diagnostics
        .filter((d) => d.code !== 'model-disagreement')
        .map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity, d.source]),
      [
        ['invalid-start', 9, 6, 9, 15, 1, 'bioner'],
        ['malformed-tag', 11, 5, 11, 14, 1, 'bioner'],
      ],
      context(),
    );
  }
});

test('hovers give the gold entity in BIO and the predicted type and confidence in Markdown', { timeout: 1000 }, () => {
  const { bio: bioHover, aspirin, hypertension } = session.hovers;
  assert.match(bioHover?.value ?? '', /\*\*Chemical\*\* entity: `aspirin sodium`/, context());
  assert.match(aspirin?.value ?? '', /\*\*Chemical\*\* \(predicted\): `aspirin`/, context());
  assert.match(aspirin?.value ?? '', /Confidence \d/, context());
  assert.match(hypertension?.value ?? '', /\*\*Disease\*\* \(predicted\): `hypertension`/, context());
});

test('the server sends Neovim no request it did not declare', { timeout: 1000 }, () => {
  assert.deepEqual(session.unanswered_requests, [], context());
});

test('the server is still running after the session, then, stopped during a model pass, exits with code 0', { timeout: 1000 }, () => {
  assert.equal(session.error, undefined, context());
  assert.equal(session.symbols_answered, true, context());
  assert.deepEqual(session.alive, { client_running: true, not_exited: true, process_running: true }, context());
  assert.equal(session.stopped_mid_pass, true, context());
  assert.deepEqual(session.exit, { code: 0, signal: 0, before_stop: false }, context());
  assert.doesNotMatch(readFileSync(local.stderrFile, 'utf8'), /terminate called|uncaught|unhandled/i, context());
});

test('with the endpoint in Neovim\'s settings, Triton runs the graph: the same hovers, and stopped mid-pass the server exits with 0', { timeout: 5000 }, async (t) => {
  if (unreachable) return t.skip(unreachable);
  const run = remote!;
  assert.equal(run.session.error, undefined, context(run));
  assert.deepEqual(run.session.hovers, local.session.hovers, context(run));
  assert.ok((await tritonInferences(triton!, 'default')) > 0, `Triton ran no inference\n${context(run)}`);
  assert.equal(run.session.stopped_mid_pass, true, context(run));
  assert.deepEqual(run.session.exit, { code: 0, signal: 0, before_stop: false }, context(run));
  assert.doesNotMatch(readFileSync(run.stderrFile, 'utf8'), /terminate called|uncaught|unhandled/i, context(run));
});
