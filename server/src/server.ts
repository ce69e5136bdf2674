/** The BioNER language server: capabilities and handlers, each delegating to a module in features/. */
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Hover,
  type InitializeResult,
  type SemanticTokens,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CORPUS_STATISTICS_REQUEST,
  EVALUATE_FILE_REQUEST,
  FILE_TOO_LARGE_NOTIFICATION,
  INFERENCE_AUTHORIZATION_NOTIFICATION,
  LABEL_ISSUES_REQUEST,
  LANGUAGE_ID,
  MODEL_STATUS_NOTIFICATION,
  RELOAD_MODEL_REQUEST,
  type FileTooLargeParams,
} from '@common/protocol';
import { DEFAULT_PROSE_LANGUAGES, type BionerSettings } from '@common/settings';
import { analyzeConll, sentenceTokens, type ConllAnalysis } from './core/conll/analysis';
import { corpusSentence } from './core/corpus/sentence';
import { updateConll } from './core/conll/incremental';
import { byPosition, type Finding } from './core/checks/finding';
import type { PredictOptions } from './core/ner/engine';
import { bioInlayHints, bioPredictionHover, disagreementFindings, predictBio, withModelView, type BioPredictions } from './features/bioPredictions';
import { ClientFeatures } from './features/clientFeatures';
import { CORPUS_FILES_GLOB, CorpusService } from './features/corpus';
import { prepareRename, references, renameType, resolveCorpusWideFix, workspaceSymbols } from './features/corpusRequests';
import { CODE_ACTION_KINDS, codeActions } from './features/codeActions';
import { guardProcess } from './features/crashGuard';
import { toDiagnostics } from './features/diagnostics';
import { DocumentStore, type AnalysisControl, type DocumentStoreOptions, type Previous } from './features/documentStore';
import { EditLog } from './features/editLog';
import { hover as goldHover } from './features/hover';
import { ModelService } from './features/modelService';
import { ReportRequests } from './features/reports';
import { withProgress } from './features/progress';
import { DocumentAbbreviations } from './core/ner/abbreviationTypes';
import { ProseSegmenter } from './core/prose/segment';
import { analyzeProse, proseHover, proseSemanticTokens, segmentDocument, type ProseMemory, type ProseVersion } from './features/proseNer';
import { SEMANTIC_TOKENS_LEGEND, semanticTokens as goldSemanticTokens } from './features/semanticTokens';
import { SemanticTokenResults } from './features/semanticTokenResults';
import { SettingsCache } from './features/settings';
import { documentSymbols, foldingRanges } from './features/structure';

const connection = createConnection(ProposedFeatures.all);
const log = (message: string) => connection.console.warn(`BioNER: ${message}`);
guardProcess((message) => connection.console.error(message));
// A signal would end the process without its exit handlers: the inference pools wait there for native calls in
// flight and remove their cut graphs.
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) process.once(signal, () => process.exit(code));
/** Each version's change is recorded, so that the gold checks re-check only what it touched. */
const edits = new EditLog();
const documents = new TextDocuments<TextDocument>(edits);
const client = new ClientFeatures(connection, log);
const settings = new SettingsCache(connection, log);
/** How long `shutdown` waits for the model's sessions to close before answering (LSP clients wait about 1–2 s). */
const SHUTDOWN_ANSWER_MS = 300;

/** The file's own findings last published, and the corpus findings on it, published together. */
const ownFindings = new Map<string, Finding[]>();
const corpusFindings = new Map<string, Finding[]>();

/** The model's predictions of a BIO document's current gold analysis, when done: they weigh its corpus findings. */
const latestPredictions = new Map<string, BioPredictions>();
const latestConll = new Map<string, ConllAnalysis>();

function publish(document: TextDocument, findings: Finding[], current: BionerSettings): void {
  ownFindings.set(document.uri, findings);
  const bio = latestPredictions.get(document.uri);
  const corpusOwn = corpusFindings.get(document.uri) ?? [];
  const weighed = bio && bio.analysis === latestConll.get(document.uri) ? withModelView(bio, corpusOwn) : corpusOwn;
  const all = [...findings, ...weighed].sort(byPosition);
  void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: toDiagnostics(document.uri, all, current) });
}

function tooLarge(document: TextDocument, current: BionerSettings): void {
  const params: FileTooLargeParams = { uri: document.uri, sizeMB: document.getText().length / 1024 / 1024, limitMB: current.maxFileSizeMB };
  void connection.sendNotification(FILE_TOO_LARGE_NOTIFICATION, params);
  void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: [] });
}

function analysisFailed(document: TextDocument, error: Error): void {
  connection.console.error(`BioNER: analysis of ${document.uri} failed: ${error.stack ?? error.message}`);
}

const models = new ModelService(
  (status) => void connection.sendNotification(MODEL_STATUS_NOTIFICATION, status),
  () => {
    bioPredictions.refreshAll();
    prose.refreshAll();
  },
  log,
);

/** The gold checks of a version: from the last one published when the edits since are known, else from scratch. */
function conllAnalysis(document: TextDocument, current: BionerSettings, control: AnalysisControl, previous: Previous<ConllAnalysis> | undefined): Promise<ConllAnalysis> {
  const change = previous && edits.between(document.uri, previous.version, document.version);
  const pass = { checkpoint: control.checkpoint };
  if (!change) return analyzeConll(document.getText(), current, pass);
  return updateConll(previous.result, document.getText(), change, current, pass).then((analysis) => {
    analysedFrom.set(analysis, analysisId(previous.result));
    return analysis;
  });
}

/**
 * Which analysis each incremental one was made from, and the last one the corpus index was given, per document, by
 * number: holding the analyses themselves would keep every version of a document alive, each holding the one before.
 */
const analysisIds = new WeakMap<ConllAnalysis, number>();
const analysedFrom = new WeakMap<ConllAnalysis, number>();
const indexedAnalysis = new Map<string, number>();
let nextAnalysisId = 0;
function analysisId(analysis: ConllAnalysis): number {
  let id = analysisIds.get(analysis);
  if (id === undefined) analysisIds.set(analysis, (id = nextAnalysisId++));
  return id;
}

/** Gives the corpus index a published analysis: the sentences an edit replaced, or the whole text. */
function indexAnalysis(document: TextDocument, analysis: ConllAnalysis): void {
  const { delta } = analysis;
  if (delta && analysedFrom.get(analysis) === indexedAnalysis.get(document.uri)) {
    const inserted = Array.from({ length: delta.inserted }, (_, i) => corpusSentence(sentenceTokens(analysis, delta.from + i), analysis.layout));
    corpus.edit(document.uri, { from: delta.from, deleted: delta.deleted, inserted, lineShift: delta.lineShift });
  } else corpus.open(document.uri, document.getText());
  indexedAnalysis.set(document.uri, analysisId(analysis));
}

/** Gold checks: structure and tags, cheap, on every change; an edit re-checks the sentences it touched, at once. */
const conll = new DocumentStore<ConllAnalysis>({
  settingsFor: (uri) => settings.get(uri),
  debounceMs: 300,
  quick: (document, previous) => !!previous && !!edits.between(document.uri, previous.version, document.version),
  onError: analysisFailed,
  analyze: conllAnalysis,
  onAnalysed(document, analysis, current) {
    edits.forget(document.uri, document.version);
    if (!analysis) return tooLarge(document, current);
    indexAnalysis(document, analysis);
    latestConll.set(document.uri, analysis);
    publish(document, analysis.findings, current);
  },
});

/** Runs a model pass with progress, cancelled by newer versions or by the user, then updates the speed shown. */
async function modelPass<T>(document: TextDocument, control: AnalysisControl, pass: (options: PredictOptions) => Promise<T>): Promise<T> {
  const result = await withProgress(client, document.uri, (progress) =>
    pass({ isCancelled: () => control.isStale() || progress.cancelled(), onProgress: progress.onProgress }),
  );
  models.reportSpeed();
  return result;
}

/** A store of model results: settings per document, and failures logged. */
function modelStore<T>(options: Pick<DocumentStoreOptions<T>, 'analyze' | 'onAnalysed' | 'quick'>): DocumentStore<T> {
  return new DocumentStore<T>({ settingsFor: (uri) => settings.get(uri), debounceMs: 500, onError: analysisFailed, ...options });
}

/** The model over a BIO file's sentences, once its gold analysis is there. */
const bioPredictions = modelStore<BioPredictions | null>({
  async analyze(document, current, control) {
    const engine = await models.get(current);
    const analysis = engine && (await conll.get(document));
    if (!engine || !analysis) return null;
    return modelPass(document, control, (options) => predictBio(analysis, engine, options, current.abbreviations));
  },
  onAnalysed(document, bio, current) {
    if (!bio) return;
    latestPredictions.set(document.uri, bio);
    publish(document, [...bio.analysis.findings, ...disagreementFindings(bio, current)], current);
    client.refreshInlayHints();
  },
});

/** The model over plain text and Markdown; each document keeps its segmenter between versions. */
const proseMemories = new Map<string, ProseMemory>();
/** The edit from the last published analysis to this version, when known: the analysis then starts from that one. */
const proseEdit = (document: TextDocument, previous: Previous<ProseVersion | null> | undefined) => {
  const change = previous?.result && edits.between(document.uri, previous.version, document.version);
  return change ? { previous: previous.result!, change } : undefined;
};
const prose = modelStore<ProseVersion | null>({
  // An edit's analysis is proportional to the edit: no typing pause, even in a large document.
  quick: (document, previous) => !!proseEdit(document, previous),
  async analyze(document, current, control, previous) {
    const loading = models.get(current);
    let memory = proseMemories.get(document.uri);
    const opened = !memory;
    if (!memory) proseMemories.set(document.uri, (memory = { segmenter: new ProseSegmenter(), abbreviations: new DocumentAbbreviations() }));
    if (opened) {
      // Segmented while the model's sessions load in worker threads (the load starts at the checkpoint), not after.
      await control.checkpoint();
      segmentDocument(document, memory.segmenter);
    }
    const engine = await loading;
    if (!engine) return null;
    const types = models.proseTypes(engine, current);
    const edit = proseEdit(document, previous);
    const analysis = await modelPass(document, control, (options) => analyzeProse(document, engine, { ...options, types }, memory, current.abbreviations, edit));
    // Once more while idle, an empty edit all from memory, and its tokens made from this version's: the first real edit
    // then runs warm code (it took 250 ms cold on 5,000 sentences).
    const empty = { previous: analysis, change: { start: 0, end: 0, length: 0 } };
    if (opened) {
      setImmediate(() =>
        void analyzeProse(document, engine, { types, isCancelled: () => control.isStale() }, memory, current.abbreviations, empty)
          .then((warm) => proseSemanticTokens(warm, current))
          .catch(() => undefined),
      );
    }
    return analysis;
  },
  onAnalysed(document, analysis, current) {
    edits.forget(document.uri, document.version);
    // Made now, not when the client asks: the next version's tokens are then made from these even if it asks late.
    if (analysis && client.semanticTokens) proseSemanticTokens(analysis, current);
    client.refreshSemanticTokens();
  },
});

const stores = [conll, bioPredictions, prose];

/** The workspace's corpus index, in its own worker: consistency across files, references, renames, symbols. */
let workspaceRoots: string[] = [];
const corpus = new CorpusService(client, {
  log,
  reindex(uri) {
    for (const document of documents.all().filter(isBio)) {
      if (uri !== undefined && document.uri !== uri) continue;
      indexedAnalysis.delete(document.uri);
      corpus.open(document.uri, document.getText());
    }
  },
  onChanged: () => void refreshCorpusFindings(),
});

async function refreshCorpusFindings(): Promise<void> {
  for (const document of documents.all().filter(isBio)) {
    const findings = await corpus.ask({ kind: 'findings', uri: document.uri, limit: (await settings.get(document.uri)).maxDiagnostics });
    const own = ownFindings.get(document.uri);
    if (!findings || !own || documents.get(document.uri) !== document) continue;
    corpusFindings.set(document.uri, findings);
    publish(document, own, await settings.get(document.uri));
  }
}

/** Starts, restarts or stops the corpus index as `bioner.corpus.*` say. */
let corpusOptions = '';
async function configureCorpus(): Promise<void> {
  const current = await settings.get(workspaceRoots[0] ?? '');
  const options = {
    scope: current['corpus.scope'],
    roots: workspaceRoots,
    thresholds: { minCount: current['corpus.minCount'], minRatio: current['corpus.minRatio'] },
    maxFileSizeMB: current.maxFileSizeMB,
    tagColumn: current.tagColumn,
    scheme: current.scheme,
  };
  const key = current['corpus.enabled'] ? JSON.stringify(options) : '';
  if (key === corpusOptions) return;
  corpusOptions = key;
  if (!key) {
    await corpus.stop();
    corpusFindings.clear();
    return void refreshCorpusFindings();
  }
  corpus.start(options);
}

const isBio = (document: TextDocument | undefined): document is TextDocument => document?.languageId === LANGUAGE_ID;
const proseLanguages = new Set(DEFAULT_PROSE_LANGUAGES);
const isProse = (document: TextDocument | undefined): document is TextDocument => !!document && proseLanguages.has(document.languageId);

function bioHandler<P extends { textDocument: { uri: string } }, R>(handler: (params: P, analysis: ConllAnalysis) => R) {
  return async (params: P): Promise<Awaited<R> | null> => {
    const document = documents.get(params.textDocument.uri);
    if (!isBio(document)) return null;
    const analysis = await conll.get(document);
    return analysis ? await handler(params, analysis) : null;
  };
}

connection.onInitialize((params): InitializeResult => {
  client.declare(params.capabilities);
  settings.pull = client.configuration;
  workspaceRoots = params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const languages = params.initializationOptions?.proseLanguages;
  if (Array.isArray(languages)) {
    proseLanguages.clear();
    for (const language of languages) proseLanguages.add(String(language));
  }
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: CODE_ACTION_KINDS, resolveProvider: true },
      hoverProvider: true,
      foldingRangeProvider: true,
      documentSymbolProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      workspaceSymbolProvider: true,
      // Offered only to clients that ask for them: others would never call, and some reject what they do not know.
      ...(client.inlayHints && { inlayHintProvider: true }),
      ...(client.semanticTokens && { semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: { delta: true }, range: true } }),
    },
    serverInfo: { name: 'bioner', version: '0.1.0' },
  };
});

connection.onInitialized(() => {
  client.registerForConfigurationChanges();
  client.watchFiles(CORPUS_FILES_GLOB);
  void configureCorpus();
});

connection.onDidChangeConfiguration((params) => {
  settings.changed(params.settings);
  void configureCorpus();
  conll.refreshAll();
  bioPredictions.refreshAll();
  prose.refreshAll();
});

connection.onRequest(RELOAD_MODEL_REQUEST, () => models.reload());
connection.onNotification(INFERENCE_AUTHORIZATION_NOTIFICATION, ({ authorization }) => models.setAuthorization(authorization ?? undefined));


/** The report views' figures and the review's items: corpus statistics of a file's folder, the model scored on a file, its likely label errors. */
const reports = new ReportRequests({
  bioDocument: (uri) => {
    const document = documents.get(uri);
    return isBio(document) ? document : undefined;
  },
  bioDocuments: () => documents.all().filter(isBio),
  settings: (uri) => settings.get(uri),
  analysis: (document) => conll.get(document),
  engine: (current) => models.get(current),
  modelStatus: () => models.status,
  progress: (params) => connection.window.attachWorkDoneProgress(params.workDoneToken),
});
connection.onRequest(CORPUS_STATISTICS_REQUEST, (params, token) => reports.corpusStatistics(params, token));
connection.onRequest(EVALUATE_FILE_REQUEST, (params, token) => reports.evaluateFile(params, token));
connection.onRequest(LABEL_ISSUES_REQUEST, (params, token) => reports.labelIssues(params, token));

documents.onDidChangeContent(({ document }) => {
  if (isBio(document)) {
    conll.changed(document);
    bioPredictions.changed(document);
  } else if (isProse(document)) prose.changed(document);
});
documents.onDidClose(({ document }) => {
  for (const store of stores) store.closed(document.uri);
  edits.closed(document.uri);
  if (isBio(document)) corpus.close(document.uri);
  indexedAnalysis.delete(document.uri);
  ownFindings.delete(document.uri);
  corpusFindings.delete(document.uri);
  latestPredictions.delete(document.uri);
  latestConll.delete(document.uri);
  proseMemories.delete(document.uri);
  tokenResults.closed(document.uri);
  void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
});

connection.onDidChangeWatchedFiles(({ changes }) => {
  for (const change of changes) corpus.diskChanged(change.uri);
});

const resolveAction = (action: CodeAction) => resolveCorpusWideFix(corpus, action, client.changeAnnotations);
connection.onCodeAction(
  bioHandler((params, analysis) => {
    const actions = codeActions(params, analysis);
    return client.codeActionResolve ? actions : Promise.all(actions.map(resolveAction));
  }),
);
connection.onCodeActionResolve(resolveAction);
connection.onReferences(bioHandler((params) => references(corpus, params.textDocument.uri, params.position.line)));
connection.onPrepareRename(bioHandler((params) => prepareRename(corpus, params.textDocument.uri, params.position.line, params.position.character)));
connection.onRenameRequest(
  bioHandler((params) => renameType(corpus, params.textDocument.uri, params.position.line, params.position.character, params.newName, client.changeAnnotations)),
);
connection.onWorkspaceSymbol((params) => workspaceSymbols(corpus, params.query));
connection.onFoldingRanges(bioHandler((_params, analysis) => foldingRanges(analysis)));
connection.onDocumentSymbol(bioHandler((_params, analysis) => documentSymbols(analysis)));

connection.onHover(async (params): Promise<Hover | null> => {
  const document = documents.get(params.textDocument.uri);
  if (isProse(document)) {
    const analysis = await prose.get(document);
    return analysis ? proseHover(analysis, params.position) : null;
  }
  if (!isBio(document)) return null;
  const analysis = await conll.get(document);
  const gold = analysis && goldHover(analysis, params.position);
  const bio = await bioPredictions.get(document);
  const model = bio && bioPredictionHover(bio, params.position.line);
  if (!gold || !model) return gold ?? null;
  return { ...gold, contents: { kind: 'markdown', value: `${(gold.contents as { value: string }).value}\n\n---\n\n${model}` } };
});

connection.languages.inlayHint.on(async (params) => {
  const document = documents.get(params.textDocument.uri);
  if (!isBio(document)) return [];
  const bio = await bioPredictions.get(document);
  return bio ? bioInlayHints(bio, params.range, await settings.get(document.uri)) : [];
});

async function semanticTokens(uri: string, range?: Parameters<typeof goldSemanticTokens>[1]): Promise<SemanticTokens> {
  const document = documents.get(uri);
  if (isBio(document)) {
    const analysis = await conll.get(document);
    if (analysis) return goldSemanticTokens(analysis, range);
  } else if (isProse(document)) {
    const analysis = await prose.get(document);
    if (analysis) return proseSemanticTokens(analysis, await settings.get(uri));
  }
  return { data: [] };
}
/** Full and delta answers share result ids: after an edit of a large document a delta is a few numbers, not all of them. */
const tokenResults = new SemanticTokenResults();
connection.languages.semanticTokens.on(async ({ textDocument: { uri } }) => tokenResults.full(uri, await semanticTokens(uri)));
connection.languages.semanticTokens.onDelta(async ({ textDocument: { uri }, previousResultId }) => tokenResults.delta(uri, previousResultId, await semanticTokens(uri)));
connection.languages.semanticTokens.onRange((params) => semanticTokens(params.textDocument.uri, params.range));

/** Cancels all work and closes the model; answers quickly even if a native call is still finishing (exit waits for it). */
connection.onShutdown(async () => {
  for (const store of stores) store.dispose();
  void corpus.dispose();
  await Promise.race([models.dispose(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_ANSWER_MS))]);
});

documents.listen(connection);
connection.listen();
