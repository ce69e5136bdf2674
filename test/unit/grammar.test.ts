// Tokenizes sample BIO/CoNLL lines with the extension's TextMate grammar
// (syntaxes/bio.tmLanguage.json) through vscode-textmate + vscode-oniguruma,
// the same engine VS Code uses, and checks the scopes given to tags, entity
// types, comments and -DOCSTART- lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vsctm from 'vscode-textmate';
import * as oniguruma from 'vscode-oniguruma';

const ROOT = path.resolve(__dirname, '..', '..');
const GRAMMAR_PATH = path.join(ROOT, 'syntaxes', 'bio.tmLanguage.json');

let grammarPromise: Promise<vsctm.IGrammar> | undefined;

function loadGrammar(): Promise<vsctm.IGrammar> {
  grammarPromise ??= (async () => {
    const wasmPath = require.resolve('vscode-oniguruma/release/onig.wasm');
    const wasm = fs.readFileSync(wasmPath);
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) => {
        if (scopeName !== 'source.bio') return null;
        const raw = fs.readFileSync(GRAMMAR_PATH, 'utf8');
        return vsctm.parseRawGrammar(raw, GRAMMAR_PATH);
      },
    });
    const grammar = await registry.loadGrammar('source.bio');
    if (!grammar) throw new Error('grammar source.bio did not load');
    return grammar;
  })();
  return grammarPromise;
}

interface Tok {
  text: string;
  scopes: string[];
}

/** Tokenizes lines in sequence (carrying the rule stack, as the editor does). */
async function tokenize(lines: string[]): Promise<Tok[][]> {
  const grammar = await loadGrammar();
  let stack = vsctm.INITIAL;
  const out: Tok[][] = [];
  for (const line of lines) {
    const r = grammar.tokenizeLine(line, stack);
    out.push(
      r.tokens.map((t) => ({
        text: line.slice(t.startIndex, Math.min(t.endIndex, line.length)),
        scopes: t.scopes,
      })),
    );
    stack = r.ruleStack;
  }
  return out;
}

async function tokenizeLine(line: string): Promise<Tok[]> {
  return (await tokenize([line]))[0];
}

/** Scopes of the token whose text is exactly `text` (the nth such token). */
function scopesOf(toks: Tok[], text: string, nth = 0): string[] {
  const hits = toks.filter((t) => t.text === text);
  assert.ok(
    hits.length > nth,
    `no token ${JSON.stringify(text)} in ${JSON.stringify(toks.map((t) => t.text))}`,
  );
  return hits[nth].scopes;
}

function hasScope(scopes: string[], prefix: string): boolean {
  return scopes.some((s) => s === prefix || s.startsWith(prefix + '.'));
}

function assertScope(toks: Tok[], text: string, scope: string, nth = 0): void {
  const scopes = scopesOf(toks, text, nth);
  assert.ok(hasScope(scopes, scope), `${JSON.stringify(text)}: expected ${scope}, got ${scopes.join(' ')}`);
}

function assertNoScope(toks: Tok[], text: string, scope: string, nth = 0): void {
  const scopes = scopesOf(toks, text, nth);
  assert.ok(!hasScope(scopes, scope), `${JSON.stringify(text)}: unexpected ${scope} in ${scopes.join(' ')}`);
}

const BEGIN = 'keyword.control.tag.begin.bio';
const INSIDE = 'keyword.other.tag.inside.bio';
const TYPE = 'entity.name.type.bio';
const OUTSIDE = 'comment.tag.outside.bio';
const TOKEN = 'variable.other.token.bio';
const COLUMN = 'support.function.column.bio';
const COMMENT = 'comment.line.number-sign.bio';
const DOCSTART = 'keyword.control.docstart.bio';

test('grammar file is valid JSON with scopeName source.bio', () => {
  const g = JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8'));
  assert.equal(g.scopeName, 'source.bio');
});

test('tab-separated begin tag: token, prefix, separator, type', async () => {
  const toks = await tokenizeLine('Aspirin\tB-Chemical');
  assertScope(toks, 'Aspirin', TOKEN);
  assertScope(toks, 'B', BEGIN);
  assertScope(toks, '-', 'punctuation.separator.tag.bio');
  assertScope(toks, 'Chemical', TYPE);
  assertScope(toks, 'Chemical', 'meta.tag.bio');
});

test('continuation tags I-, E-, L- and begin tags S-, U-', async () => {
  for (const p of ['I', 'E', 'L']) {
    const toks = await tokenizeLine(`cells\t${p}-Disease`);
    assertScope(toks, p, INSIDE);
    assertNoScope(toks, p, BEGIN);
    assertScope(toks, 'Disease', TYPE);
  }
  for (const p of ['B', 'S', 'U']) {
    const toks = await tokenizeLine(`cells\t${p}-Species`);
    assertScope(toks, p, BEGIN);
    assertScope(toks, 'Species', TYPE);
  }
});

test('types with _ and - stay one type token', async () => {
  let toks = await tokenizeLine('HeLa\tI-cell_line');
  assertScope(toks, 'I', INSIDE);
  assertScope(toks, 'cell_line', TYPE);
  toks = await tokenizeLine('p53\tB-gene-product');
  assertScope(toks, 'B', BEGIN);
  assertScope(toks, 'gene-product', TYPE);
});

test('untyped tags B, I, E, S, L, U', async () => {
  for (const p of ['B', 'S', 'U']) assertScope(await tokenizeLine(`x\t${p}`), p, BEGIN);
  for (const p of ['I', 'E', 'L']) assertScope(await tokenizeLine(`x\t${p}`), p, INSIDE);
});

test('O is dimmed with a comment scope', async () => {
  const toks = await tokenizeLine('reduces\tO');
  assertScope(toks, 'reduces', TOKEN);
  assertScope(toks, 'O', OUTSIDE);
  assertNoScope(toks, 'O', BEGIN);
});

test('middle columns (POS, chunk) get a support scope, chunk tags are not entity tags', async () => {
  const toks = await tokenizeLine('EU\tNNP\tB-NP\tB-ORG');
  assertScope(toks, 'EU', TOKEN);
  assertScope(toks, 'NNP', COLUMN);
  assertScope(toks, 'B-NP', COLUMN);
  assertNoScope(toks, 'B-NP', BEGIN);
  assertScope(toks, 'B', BEGIN);
  assertScope(toks, 'ORG', TYPE);
});

test('space-separated columns', async () => {
  let toks = await tokenizeLine('IL-2 NN B-NP B-gene-product');
  assertScope(toks, 'IL-2', TOKEN);
  assertScope(toks, 'NN', COLUMN);
  assertScope(toks, 'B-NP', COLUMN);
  assertScope(toks, 'B', BEGIN);
  assertScope(toks, 'gene-product', TYPE);

  toks = await tokenizeLine('of   O');
  assertScope(toks, 'of', TOKEN);
  assertScope(toks, 'O', OUTSIDE);

  toks = await tokenizeLine('cancer I-Disease  ');
  assertScope(toks, 'I', INSIDE);
  assertScope(toks, 'Disease', TYPE);
});

test('in a tab-separated line the token may contain spaces', async () => {
  const toks = await tokenizeLine('New York\tB-LOC');
  assertScope(toks, 'New York', TOKEN);
  assertScope(toks, 'B', BEGIN);
  assertScope(toks, 'LOC', TYPE);
});

test('CRLF line endings: \\r is not part of the type', async () => {
  const toks = await tokenizeLine('Aspirin\tB-Chemical\r');
  assertScope(toks, 'B', BEGIN);
  assertScope(toks, 'Chemical', TYPE);
  const toks2 = await tokenizeLine('of O\r');
  assertScope(toks2, 'O', OUTSIDE);
});

test('malformed tags get no tag scope', async () => {
  for (const line of ['x\tX-Y', 'x\tB_Chemical', 'x\tb-Chemical', 'x\tB-']) {
    const toks = await tokenizeLine(line);
    for (const t of toks) {
      assert.ok(
        !hasScope(t.scopes, BEGIN) && !hasScope(t.scopes, INSIDE) && !hasScope(t.scopes, TYPE),
        `${JSON.stringify(line)}: ${JSON.stringify(t)}`,
      );
    }
  }
});

test('comment lines', async () => {
  const toks = await tokenizeLine('# sent_id = 3');
  assertScope(toks, '#', COMMENT);
  assertScope(toks, '#', 'punctuation.definition.comment.bio');
  assertScope(toks, ' sent_id = 3', COMMENT);

  for (const line of ['# text = Aspirin reduces fever .', '#', '# text = Aspirin reduces the fever , I', '#\r']) {
    for (const t of await tokenizeLine(line)) assert.ok(hasScope(t.scopes, COMMENT), `${JSON.stringify(line)}: ${JSON.stringify(t)}`);
  }
});

test('tokens starting with # on token lines are not comments', async () => {
  let toks = await tokenizeLine('#COVID19\tB-Disease');
  assertScope(toks, '#COVID19', TOKEN);
  assertNoScope(toks, '#COVID19', 'comment');
  assertScope(toks, 'Disease', TYPE);

  toks = await tokenizeLine('#\tO');
  assertScope(toks, '#', TOKEN);
  assertScope(toks, 'O', OUTSIDE);

  toks = await tokenizeLine('#hashtag O');
  assertScope(toks, '#hashtag', TOKEN);
  assertScope(toks, 'O', OUTSIDE);

  // Like the language server: a space-separated '#' line with 2 to 6 columns ending in a tag is a token line.
  toks = await tokenizeLine('# NN B-NP O');
  assertScope(toks, '#', TOKEN);
  assertScope(toks, 'O', OUTSIDE);
});

test('-DOCSTART- lines, with and without extra columns', async () => {
  for (const line of ['-DOCSTART-', '-DOCSTART- -X- O O', '-DOCSTART-\tO', '-DOCSTART-\t-X-\t-X-\tO\r']) {
    const toks = await tokenizeLine(line);
    assertScope(toks, '-DOCSTART-', DOCSTART);
    assertScope(toks, '-DOCSTART-', 'meta.separator');
    for (const t of toks) {
      assert.ok(hasScope(t.scopes, 'meta.separator.docstart.bio'), `${JSON.stringify(line)}: ${JSON.stringify(t)}`);
      assert.ok(!hasScope(t.scopes, OUTSIDE) && !hasScope(t.scopes, TOKEN), `${JSON.stringify(line)}: ${JSON.stringify(t)}`);
    }
  }
});

test('a whole document: no scope leaks across lines', async () => {
  const doc = [
    '-DOCSTART- -X- O O',
    '',
    '# sent_id = 1',
    'Aspirin\tNN\tB-Chemical',
    'reduces\tVBZ\tO',
    'fever\tNN\tB-Disease',
    '',
    '# sent_id = 2',
    'HeLa I-cell_line',
    'cells O',
    '',
  ];
  const lines = await tokenize(doc);
  assertScope(lines[0], '-DOCSTART-', DOCSTART);
  for (const t of lines[1]) assert.deepEqual(t.scopes, ['source.bio']);
  assertScope(lines[2], '#', COMMENT);
  assertNoScope(lines[2], '#', 'meta.line.token.bio');
  assertScope(lines[3], 'Aspirin', TOKEN);
  assertScope(lines[3], 'Chemical', TYPE);
  assertScope(lines[4], 'O', OUTSIDE);
  assertScope(lines[5], 'Disease', TYPE);
  for (const t of lines[6]) assert.deepEqual(t.scopes, ['source.bio']);
  assertScope(lines[7], '#', COMMENT);
  assertNoScope(lines[7], '#', 'meta.line.token.bio');
  assertScope(lines[8], 'I', INSIDE);
  assertScope(lines[8], 'cell_line', TYPE);
  assertScope(lines[9], 'O', OUTSIDE);
});

// Foreground colours of the default themes for the scope selectors that match
// the grammar's scopes (from VS Code's extensions/theme-defaults: dark_vs +
// dark_plus, light_vs + light_plus). Checks that the chosen scopes are ones
// the default themes colour, and colour apart.
const THEMES: Record<string, Record<string, string>> = {
  'Dark+': {
    comment: '#6a9955',
    keyword: '#569cd6',
    'keyword.control': '#c586c0',
    'entity.name.type': '#4ec9b0',
    variable: '#9cdcfe',
    'support.function': '#dcdcaa',
  },
  'Light+': {
    comment: '#008000',
    keyword: '#0000ff',
    'keyword.control': '#af00db',
    'entity.name.type': '#267f99',
    variable: '#001080',
    'support.function': '#795e26',
  },
};

function colourOf(theme: Record<string, string>, scope: string): string | undefined {
  let best: string | undefined;
  let bestLen = -1;
  for (const [sel, colour] of Object.entries(theme)) {
    if ((scope === sel || scope.startsWith(sel + '.')) && sel.length > bestLen) {
      best = colour;
      bestLen = sel.length;
    }
  }
  return best;
}

test('default themes colour tag, type, O, token and middle columns differently', () => {
  for (const [name, theme] of Object.entries(THEMES)) {
    const scopes = [BEGIN, INSIDE, TYPE, OUTSIDE, TOKEN, COLUMN];
    const colours = scopes.map((s) => colourOf(theme, s));
    colours.forEach((c, i) => assert.ok(c, `${name}: ${scopes[i]} has no colour`));
    assert.equal(new Set(colours).size, scopes.length, `${name}: ${JSON.stringify(colours)}`);
    assert.ok(colourOf(theme, COMMENT), `${name}: comment`);
    assert.ok(colourOf(theme, DOCSTART), `${name}: docstart`);
  }
});

test('language-configuration.json: # comments, no brackets, tags are one word', () => {
  const conf = JSON.parse(fs.readFileSync(path.join(ROOT, 'language-configuration.json'), 'utf8'));
  assert.equal(conf.comments.lineComment, '#');
  assert.deepEqual(conf.brackets, []);
  assert.deepEqual(conf.autoClosingPairs, []);
  assert.deepEqual(conf.surroundingPairs, []);
  const word = new RegExp(conf.wordPattern, 'g');
  for (const w of ['B-Chemical', 'I-cell_line', 'I-gene-product', 'IL-2']) {
    assert.deepEqual(`x\t${w}\r\n`.match(word), ['x', w]);
  }
});
