// Tests that run inside a real VS Code (extension host) with the BioNER extension
// loaded from the repository: diagnostics, quick fix, document symbols and
// semantic tokens, through VS Code's own API commands. Run with
// `npm run test:vscode` (see ../runTest.ts). The tests share one document and
// run in order.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface TestCase {
  name: string;
  fn: () => unknown;
  timeoutMs?: number;
  /** Later tests need what this one sets up: when it fails, they are not run (and count as failed). */
  stopOnFailure?: boolean;
  /** Runs even after a stopOnFailure test failed (clean-up). */
  always?: boolean;
}

export const tests: TestCase[] = [];

function test(name: string, fn: () => unknown, options: Omit<TestCase, 'name' | 'fn'> = {}): void {
  tests.push({ name, fn, ...options });
}

const EXTENSION_ID = 'bioner.bioner';
const SOURCE = 'bioner';
const WAIT_MS = 30_000;

// Line 10 starts an entity with I- (an IOB2 error: invalid-start).
const BAD_LINE = 10;
const SAMPLE = [
  '-DOCSTART-\tO',
  '',
  '# sent_id = 1',
  'Aspirin\tB-Chemical',
  'reduces\tO',
  'fever\tB-Disease',
  '.\tO',
  '',
  '# sent_id = 2',
  'The\tO',
  'BRCA1\tI-Gene',
  'gene\tO',
  'mutations\tO',
  'cause\tO',
  'breast\tB-Disease',
  'cancer\tI-Disease',
  '.\tO',
  '',
].join('\n');

const state: {
  dir?: string;
  uri?: vscode.Uri;
  doc?: vscode.TextDocument;
  diagnostic?: vscode.Diagnostic;
} = {};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something other than undefined, or fails after `ms`. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${why}`);
    }
    await sleep(100);
  }
}

function codeOf(d: vscode.Diagnostic): string | number | undefined {
  return typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
}

function describeDiagnostics(uri: vscode.Uri): string {
  return JSON.stringify(
    vscode.languages.getDiagnostics(uri).map((d) => ({
      source: d.source,
      code: codeOf(d),
      line: d.range.start.line,
      message: d.message,
    })),
  );
}

function invalidStart(uri: vscode.Uri): vscode.Diagnostic | undefined {
  return vscode.languages
    .getDiagnostics(uri)
    .find((d) => d.source === SOURCE && codeOf(d) === 'invalid-start' && d.range.start.line === BAD_LINE);
}

function need<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is missing (an earlier test failed)`);
  return value;
}

type AnySymbol = vscode.DocumentSymbol | vscode.SymbolInformation;

function flatten(symbols: readonly AnySymbol[]): AnySymbol[] {
  const out: AnySymbol[] = [];
  const visit = (s: AnySymbol): void => {
    out.push(s);
    if ('children' in s && Array.isArray(s.children)) s.children.forEach(visit);
  };
  symbols.forEach(visit);
  return out;
}

test('the extension is installed', () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} not found`);
});

test(
  'opening a .bio file gives the bio language and an invalid-start diagnostic',
  async () => {
    // IOB2 explicitly, so that the I- start is an error whatever the scheme detection decides.
    await vscode.workspace.getConfiguration('bioner').update('scheme', 'IOB2', vscode.ConfigurationTarget.Global);

    const base = process.env.BIONER_TEST_WORKSPACE ?? os.tmpdir();
    state.dir = fs.mkdtempSync(path.join(base, 'bioner-vscode-'));
    const file = path.join(state.dir, 'sample.bio');
    fs.writeFileSync(file, SAMPLE);
    state.uri = vscode.Uri.file(file);

    state.doc = await vscode.workspace.openTextDocument(state.uri);
    await vscode.window.showTextDocument(state.doc);
    assert.equal(state.doc.languageId, 'bio');

    const uri = state.uri;
    state.diagnostic = await waitFor(`an invalid-start diagnostic from ${SOURCE} on line ${BAD_LINE}`, () =>
      invalidStart(uri),
    ).catch((err: Error) => {
      throw new Error(`${err.message}; diagnostics now: ${describeDiagnostics(uri)}`);
    });

    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext?.isActive, 'extension is not active after opening a .bio file');
    const d = state.diagnostic;
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(
      state.doc.getText(d.range).includes('I-Gene') || d.range.contains(new vscode.Position(BAD_LINE, 'BRCA1\t'.length)),
      `diagnostic range ${JSON.stringify(d.range)} does not cover the tag`,
    );
  },
  { stopOnFailure: true, timeoutMs: WAIT_MS + 15_000 },
);

test('the quick fix "Change to B-…" rewrites the tag', async () => {
  const uri = need(state.uri, 'document');
  const doc = need(state.doc, 'document');
  const diagnostic = need(state.diagnostic, 'diagnostic');

  let titles: string[] = [];
  const fix = await waitFor('a code action "Change to B-…"', async () => {
    const result = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
      undefined,
      20, // resolve lazily computed edits
    );
    titles = (result ?? []).map((a) => a.title);
    return result?.find((a) => a.title.startsWith('Change to B-'));
  }).catch((err: Error) => {
    throw new Error(`${err.message}; code actions offered: ${JSON.stringify(titles)}`);
  });

  const before = doc.getText();
  if ('edit' in fix && fix.edit) {
    assert.ok(await vscode.workspace.applyEdit(fix.edit), 'applyEdit returned false');
  }
  // A Command has a string `command`; a CodeAction may carry a Command to run after its edit.
  const command = typeof fix.command === 'string' ? (fix as vscode.Command) : (fix as vscode.CodeAction).command;
  if (command) {
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
  }
  await waitFor('the document to change', () => (doc.getText() !== before ? true : undefined), 5_000);
  const fixed = doc.lineAt(BAD_LINE).text;
  assert.ok(fixed.startsWith('BRCA1\tB-'), `line ${BAD_LINE} is ${JSON.stringify(fixed)} after the fix`);

  await waitFor('the invalid-start diagnostic to go away', () => (invalidStart(uri) ? undefined : true)).catch(
    (err: Error) => {
      throw new Error(`${err.message}; diagnostics now: ${describeDiagnostics(uri)}`);
    },
  );
});

test('document symbols list the sentences', async () => {
  const uri = need(state.uri, 'document');
  const symbols = await waitFor('document symbols', async () => {
    const result = await vscode.commands.executeCommand<AnySymbol[]>('vscode.executeDocumentSymbolProvider', uri);
    return result && result.length > 0 ? result : undefined;
  });
  const all = flatten(symbols);
  const sentences = all.filter((s) => /^sentence\b/i.test(s.name));
  assert.ok(
    sentences.length >= 2,
    `expected 2 sentence symbols, got ${JSON.stringify(all.map((s) => ({ name: s.name, kind: s.kind })))}`,
  );
});

test('semantic tokens are provided', async () => {
  const uri = need(state.uri, 'document');
  const tokens = await waitFor('semantic tokens', async () => {
    const result = await vscode.commands.executeCommand<vscode.SemanticTokens | undefined>(
      'vscode.provideDocumentSemanticTokens',
      uri,
    );
    return result && result.data.length > 0 ? result : undefined;
  });
  // Each token is 5 integers; there is at least one per entity tag in SAMPLE.
  assert.equal(tokens.data.length % 5, 0);
  assert.ok(tokens.data.length >= 5 * 4, `only ${tokens.data.length / 5} semantic tokens`);
});

test('clean up', async () => {
  if (state.doc?.isDirty) await state.doc.save();
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
}, { always: true });
