/** The BioNER language server: capabilities and handlers, each delegating to a module in features/. */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type InitializeResult, type SemanticTokensParams, type SemanticTokensRangeParams } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FILE_TOO_LARGE_NOTIFICATION, LANGUAGE_ID, type FileTooLargeParams } from '@common/protocol';
import type { ConllAnalysis } from './core/conll/analysis';
import { AnalysisStore } from './features/analysisStore';
import { CODE_ACTION_KINDS, codeActions } from './features/codeActions';
import { toDiagnostics } from './features/diagnostics';
import { hover } from './features/hover';
import { SEMANTIC_TOKENS_LEGEND, semanticTokens } from './features/semanticTokens';
import { SettingsCache } from './features/settings';
import { documentSymbols, foldingRanges } from './features/structure';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const settings = new SettingsCache(connection);

const store = new AnalysisStore({
  settingsFor: (uri) => settings.get(uri),
  debounceMs: 300,
  onAnalysed(document, analysis, current) {
    if (!analysis) {
      const params: FileTooLargeParams = { uri: document.uri, sizeMB: document.getText().length / 1024 / 1024, limitMB: current.maxFileSizeMB };
      void connection.sendNotification(FILE_TOO_LARGE_NOTIFICATION, params);
      void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: [] });
      return;
    }
    const diagnostics = toDiagnostics(document.uri, analysis.findings, current);
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
  },
});

const isBio = (document: TextDocument | undefined): document is TextDocument => document?.languageId === LANGUAGE_ID;

/** Runs a request handler on the current analysis of a BIO document; null when there is none. */
function withAnalysis<P extends { textDocument: { uri: string } }, R>(handler: (params: P, analysis: ConllAnalysis) => R) {
  return async (params: P): Promise<R | null> => {
    const document = documents.get(params.textDocument.uri);
    if (!isBio(document)) return null;
    const analysis = await store.get(document);
    return analysis ? handler(params, analysis) : null;
  };
}

connection.onInitialize((params): InitializeResult => {
  settings.supported = params.capabilities.workspace?.configuration === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: CODE_ACTION_KINDS },
      hoverProvider: true,
      foldingRangeProvider: true,
      documentSymbolProvider: true,
      semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: true, range: true },
    },
    serverInfo: { name: 'bioner', version: '0.1.0' },
  };
});

connection.onDidChangeConfiguration(() => {
  settings.clear();
  store.refreshAll();
});

documents.onDidChangeContent(({ document }) => {
  if (isBio(document)) store.changed(document);
});
documents.onDidClose(({ document }) => {
  store.closed(document.uri);
  void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
});

connection.onCodeAction(withAnalysis(codeActions));
connection.onHover(withAnalysis((params, analysis) => hover(analysis, params.position)));
connection.onFoldingRanges(withAnalysis((_params, analysis) => foldingRanges(analysis)));
connection.onDocumentSymbol(withAnalysis((_params, analysis) => documentSymbols(analysis)));
const fullTokens = withAnalysis((_params: SemanticTokensParams, analysis) => semanticTokens(analysis));
const rangeTokens = withAnalysis((params: SemanticTokensRangeParams, analysis) => semanticTokens(analysis, params.range));
connection.languages.semanticTokens.on(async (params) => (await fullTokens(params)) ?? { data: [] });
connection.languages.semanticTokens.onRange(async (params) => (await rangeTokens(params)) ?? { data: [] });

documents.listen(connection);
connection.listen();
