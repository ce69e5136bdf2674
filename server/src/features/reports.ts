/**
 * The report requests of the client's views and review: the statistics of the corpus an open BIO file belongs to,
 * the model scored on the file, and the file's likely label errors. Thin: the figures come from core/ (corpusStats, evaluateModel), as `bioner stats` and
 * `bioner eval` compute them; this adds the editor's texts, cancellation, progress and document ranges.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken, type WorkDoneProgressParams, type WorkDoneProgressReporter } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CorpusStatisticsResult, EvaluateFileResult, EvaluationErrorItem, LabelIssuesResult, ModelStatus, ReportParams } from '@common/protocol';
import type { BionerSettings } from '@common/settings';
import { sentenceTokens, type ConllAnalysis } from '../core/conll/analysis';
import { wordsOf } from '../core/conll/corpus';
import type { TokenLine } from '../core/conll/reader';
import { indexCorpora } from '../core/corpus/batch';
import { bioFiles } from '../core/corpus/discover';
import { SplitHygiene } from '../core/corpus/splits';
import { corpusStats } from '../core/corpus/stats';
import { evaluateModel, goldTypes, type GoldFile } from '../core/eval/modelEvaluation';
import type { EntityError } from '../core/eval/score';
import { Cancelled } from '../core/ner/cancelled';
import type { NerEngine, PredictOptions } from '../core/ner/engine';
import { percentReporter } from './progress';
import { labelIssueItems } from './review';

/** Words shown on either side of an error. */
const CONTEXT_WORDS = 5;

/** What the requests read from the rest of the server. */
export interface ReportSources {
  /** The open BIO document of a URI. */
  bioDocument(uri: string): TextDocument | undefined;
  /** Every open BIO document, for the texts that stand for their files. */
  bioDocuments(): TextDocument[];
  settings(uri: string): Promise<BionerSettings>;
  /** The document's gold analysis; undefined over the size limit. */
  analysis(document: TextDocument): Promise<ConllAnalysis | undefined>;
  engine(settings: BionerSettings): Promise<NerEngine | undefined>;
  modelStatus(): ModelStatus;
  /** The progress reporter of a request's work-done token (one that reports nothing without a token). */
  progress(params: EvaluationParams): WorkDoneProgressReporter;
}

type EvaluationParams = ReportParams & WorkDoneProgressParams;

export class ReportRequests {
  constructor(private readonly sources: ReportSources) {}

  /** The folder's BIO files as `bioner stats FOLDER` reads them, open documents' text standing for their files. */
  async corpusStatistics({ textDocument: { uri } }: ReportParams, token: CancellationToken): Promise<CorpusStatisticsResult> {
    this.bioOrThrow(uri);
    const file = filePath(uri, 'the statistics read the BIO files of its folder');
    const folder = path.dirname(file);
    const settings = await this.sources.settings(uri);
    const found = await bioFiles([folder], settings.tagColumn, false);
    // The file itself even when its name does not say BIO (Treat File as BIO/CoNLL).
    const files = found.includes(file) ? found : [...found, file].sort();
    const texts = new Map(this.sources.bioDocuments().filter((d) => d.uri.startsWith('file:')).map((d) => [fileURLToPath(d.uri), d.getText()]));
    const options = { tagColumn: settings.tagColumn, scheme: settings.scheme, scope: 'folder' as const, texts };
    for await (const corpus of indexCorpora(files, options, [() => new SplitHygiene()])) {
      if (token.isCancellationRequested) throw cancelled();
      return { stats: corpusStats(corpus.key, corpus.detectors[0]), unreadable: [...corpus.errors].map(([unread, reason]) => ({ file: unread, reason })) };
    }
    throw new ResponseError(ErrorCodes.InternalError, `no BIO file in ${folder}`);
  }

  /** The model the editor uses, run on the document's current text and scored on its types as `bioner eval` scores them. */
  async evaluateFile(params: EvaluationParams, token: CancellationToken): Promise<EvaluateFileResult> {
    const document = this.bioOrThrow(params.textDocument.uri);
    const { version } = document;
    const { settings, analysis, engine } = await this.analysisAndEngine(document, 'evaluate it with `bioner eval FILE --model DIR`');
    const gold: GoldFile = {
      layout: analysis.layout,
      sentences: analysis.structure.sentenceStarts.map((_, s) => sentenceTokens(analysis, s)),
      docstarts: analysis.structure.docstarts,
    };
    const types = goldTypes(gold, engine);
    const { errors = [], ...evaluation } = await this.modelPass(params, token, (control) =>
      evaluateModel(engine, gold, { types, abbreviations: settings.abbreviations, errors: true, ...control }),
    );
    return {
      version,
      model: engine.folder.name,
      ...(types && { types: [...types].sort() }),
      abbreviations: settings.abbreviations,
      evaluation,
      errors: errors.map((error) => placed(error, gold.sentences[error.sentence])),
    };
  }

  /** The likely label errors of the document's current text, scored by the model the editor uses (features/review). */
  async labelIssues(params: EvaluationParams, token: CancellationToken): Promise<LabelIssuesResult> {
    const document = this.bioOrThrow(params.textDocument.uri);
    const { version } = document;
    const { analysis, engine } = await this.analysisAndEngine(document, 'review it with `bioner review FILE`');
    const items = await this.modelPass(params, token, (control) => labelIssueItems(analysis, engine, control));
    return { version, model: engine.folder.name, items };
  }

  /** The document's gold analysis and the editor's model, or an error that says which is missing. */
  private async analysisAndEngine(document: TextDocument, instead: string): Promise<{ settings: BionerSettings; analysis: ConllAnalysis; engine: NerEngine }> {
    const settings = await this.sources.settings(document.uri);
    const analysis = await this.sources.analysis(document);
    if (!analysis) throw new ResponseError(ErrorCodes.InvalidRequest, `The file is over bioner.maxFileSizeMB (${settings.maxFileSizeMB} MB); ${instead}.`);
    const engine = await this.sources.engine(settings).catch(() => undefined);
    if (!engine) throw new ResponseError(ErrorCodes.InvalidRequest, `No model is loaded: ${this.sources.modelStatus().message ?? 'see the status bar'}`);
    return { settings, analysis, engine };
  }

  /** A model pass reporting on the request's work-done token and cancelled with it; a failure says the model failed. */
  private async modelPass<T>(params: EvaluationParams, token: CancellationToken, pass: (control: Required<Pick<PredictOptions, 'isCancelled' | 'onProgress'>>) => Promise<T>): Promise<T> {
    const progress = this.sources.progress(params);
    progress.begin('BioNER', 0, 'Running the model', true);
    try {
      return await pass({ isCancelled: () => token.isCancellationRequested, onProgress: percentReporter((percentage, message) => progress.report(percentage, message)) });
    } catch (error) {
      if (error instanceof Cancelled || token.isCancellationRequested) throw cancelled();
      throw new ResponseError(ErrorCodes.InternalError, `The model failed on this file: ${(error as Error).message}`);
    } finally {
      progress.done();
    }
  }

  private bioOrThrow(uri: string): TextDocument {
    const document = this.sources.bioDocument(uri);
    if (!document) throw new ResponseError(ErrorCodes.InvalidParams, 'Open a BIO/CoNLL file first (or switch this one with BioNER: Treat File as BIO/CoNLL).');
    return document;
  }
}

/** The file of a `file:` URI; an untitled or virtual document has no folder on disk. */
function filePath(uri: string, why: string): string {
  if (!uri.startsWith('file:')) throw new ResponseError(ErrorCodes.InvalidParams, `Save the file first: ${why}.`);
  return fileURLToPath(uri);
}

const cancelled = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');

/** An error with its place in the document and the words around it. */
function placed(error: EntityError, tokens: readonly TokenLine[]): EvaluationErrorItem {
  const words = wordsOf(tokens);
  const first = tokens[error.start].line;
  const last = tokens[error.end - 1].line;
  return {
    ...error,
    range: { start: { line: first.number, character: first.offset }, end: { line: last.number, character: last.offset + last.text.length } },
    text: words.slice(error.start, error.end).join(' '),
    before: words.slice(Math.max(0, error.start - CONTEXT_WORDS), error.start).join(' '),
    after: words.slice(error.end, error.end + CONTEXT_WORDS).join(' '),
    overlapping: error.overlapping.map((other) => ({ type: other.type, text: words.slice(other.start, other.end).join(' ') })),
  };
}
