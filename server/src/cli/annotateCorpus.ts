/**
 * `bioner annotate FILES|DIRS… --out DIR`: BIO files, prose and JSONL files of documents annotated into DIR under their
 * paths; each output is written whole (a temporary file renamed), and a rerun of the same run skips the outputs that
 * exist, so that an interrupted run resumes where it stopped.
 */
import { readdirSync, rmSync, type Dirent } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { NerEngine } from '../core/ner/engine';
import { DEFAULT_MODEL_DIR } from '../core/ner/modelFolder';
import { isObject, parseJson } from '../core/formats/json';
import { linesOfFile, type Line } from '../core/text/lines';
import { isRunning } from '../core/processes';
import {
  ANNOTATE_FORMATS,
  annotateFile,
  BIO_EXTENSIONS,
  INPUT_KINDS,
  inputKindOf,
  predictProse,
  proseEntities,
  proseRequest,
  wordCount,
  type AnnotateFormat,
  type InputKind,
  type ProseText,
} from './annotateFile';
import { choice, positiveInteger, UsageError, type ParsedArgs } from './args';
import { closeEngine, loadEngine } from './model';
import { CorpusProgress } from './corpusProgress';
import { describeErrno, interruptible, withOutput } from './output';

export const CORPUS_OPTIONS = ['out', 'shard-size'];
export const CORPUS_FLAGS = ['force'];

const DEFAULT_SHARD_SIZE = 1000;
/** In DIR: the identity of the run that writes there, so that a rerun with other options does not mix two runs. */
const IDENTITY_FILE = '.bioner-annotate.json';
/** withOutput's temporary files, `.NAME.bioner-PID-HEX.tmp`. */
const TEMPORARY_FILE = /^\..+\.bioner-(\d+)-[0-9a-f]+\.tmp$/;
const PROSE_EXTENSIONS = new Set(['.txt', '.md', '.markdown']);

interface CorpusOptions {
  out: string;
  shardSize: number;
  force: boolean;
  /** --format; without it a BIO file gives BIO and prose gives JSON lines. */
  format?: AnnotateFormat;
  /** --input: how every file but JSONL documents is read. */
  input?: InputKind;
}

/** A file to annotate and how: `documents` is a JSONL file of `{"text", "id"?, "format"?}` objects. */
interface Source {
  file: string;
  /** Its path below the folder it was found in (a file given by itself: its name): its outputs' path below DIR. */
  relative: string;
  kind: InputKind | 'documents';
  bytes: number;
}

/** What annotating one source needs. */
interface CorpusRun {
  args: ParsedArgs;
  options: CorpusOptions;
  /** Loaded at the first output to write: a run that only skips never loads the model. */
  engine: () => Promise<NerEngine>;
  progress: CorpusProgress;
}

export async function annotateCorpus(args: ParsedArgs): Promise<number> {
  const options = corpusOptions(args);
  // Interrupted, this run's temporary files go; the outputs already renamed are complete and stay.
  return interruptible(() => annotateInto(args, options));
}

function corpusOptions(args: ParsedArgs): CorpusOptions {
  if (args.positional.length === 0) throw new UsageError('annotate --out DIR needs files or folders to annotate');
  if (args.values.output !== undefined) throw new UsageError('--output names one output file; with --out DIR each input has its own in DIR');
  return {
    out: args.values.out!,
    shardSize: positiveInteger(args.values, 'shard-size', DEFAULT_SHARD_SIZE),
    force: args.flags.has('force'),
    // Both checked only when given (the defaults are never taken): without them each file's kind decides.
    format: args.values.format === undefined ? undefined : choice(args.values, 'format', ANNOTATE_FORMATS),
    input: args.values.input === undefined ? undefined : choice<InputKind>(args.values, 'input', { enum: INPUT_KINDS, default: 'bio' }),
  };
}

async function annotateInto(args: ParsedArgs, options: CorpusOptions): Promise<number> {
  const progress = new CorpusProgress(options.out);
  // DIR as the inputs' real paths are compared with it (it need not exist yet).
  const out = await realpath(options.out).catch(() => path.resolve(options.out));
  const sources = await findSources(args.positional, out, options.input, progress);
  if (sources.length === 0 && progress.unreadable === 0) throw new Error(`no file to annotate in ${args.positional.join(', ')}`);
  await checkOutputs(sources, out, options);
  await claimFolder(options.out, await runIdentity(args, options), options.force);
  let loading: Promise<NerEngine> | undefined;
  const run: CorpusRun = { args, options, engine: () => (loading ??= loadEngine(args.values, args.flags)), progress };
  progress.start(sources);
  try {
    for (const source of sources) await annotateSource(source, run);
  } finally {
    progress.stop();
    await loading?.then(closeEngine, () => undefined);
  }
  process.stderr.write(progress.summary() + '\n');
  return progress.badLines + progress.unreadable > 0 ? 1 : 0;
}

// --- Finding the inputs ---

/**
 * The files to annotate, in order: a file given is taken whatever its extension; a folder is searched recursively
 * in name order for BIO, prose and .jsonl files, skipping hidden entries and DIR itself, and entering a folder seen
 * before (a symbolic link loop) only once.
 */
async function findSources(paths: readonly string[], out: string, input: InputKind | undefined, progress: CorpusProgress): Promise<Source[]> {
  const sources: Source[] = [];
  const visited = new Set<string>();
  const kindOf = (file: string): Source['kind'] => (path.extname(file).toLowerCase() === '.jsonl' ? 'documents' : (input ?? inputKindOf(file)));
  const walk = async (root: string, dir: string): Promise<void> => {
    const real = await realpath(dir).catch(() => path.resolve(dir));
    if (real === out || visited.has(real)) return;
    visited.add(real);
    const entries = await readdir(dir).catch((error) => (progress.cannotRead(dir, error), []));
    for (const name of entries.sort()) {
      if (name.startsWith('.')) continue;
      const full = path.join(dir, name);
      // A link is followed to what it points at; a dangling one is skipped.
      const info = await stat(full).catch(() => undefined);
      if (info?.isDirectory()) await walk(root, full);
      else if (info?.isFile() && isAnnotated(name)) sources.push({ file: full, relative: path.relative(root, full), kind: kindOf(full), bytes: info.size });
    }
  };
  for (const given of paths) {
    const info = await stat(given).catch((error) => void progress.cannotRead(given, error));
    if (info?.isDirectory()) await walk(given, given);
    else if (info) sources.push({ file: given, relative: path.basename(given), kind: kindOf(given), bytes: info.size });
  }
  return sources;
}

const isAnnotated = (name: string) => {
  const extension = path.extname(name).toLowerCase();
  return extension === '.jsonl' || BIO_EXTENSIONS.has(extension) || PROSE_EXTENSIONS.has(extension);
};

// --- Where the outputs go ---

/** A file's output: a BIO file keeps its name in BIO; JSON lines, or BIO made from prose, get their extension added. */
function outputOf(source: Source, format: AnnotateFormat, out: string): string {
  const target = path.join(out, source.relative);
  return source.kind === 'bio' && format === 'conll' ? target : `${target}.${format}`;
}

/** The format of a file's output: --format, else BIO for BIO and JSON lines for prose. */
const formatOf = (source: Source, options: CorpusOptions): AnnotateFormat => options.format ?? (source.kind === 'bio' ? 'conll' : 'jsonl');

/** Shard `index` of a JSONL file of documents: `DIR/<path without .jsonl>.part-00000.jsonl`. */
function shardOf(source: Source, index: number, out: string): string {
  return `${path.join(out, source.relative).replace(/\.jsonl$/i, '')}.part-${String(index).padStart(5, '0')}.jsonl`;
}

/** Two inputs written to one output, or an output that is an input: refused before anything is written. */
async function checkOutputs(sources: readonly Source[], out: string, options: CorpusOptions): Promise<void> {
  const inputs = new Set(await Promise.all(sources.map((s) => realpath(s.file).catch(() => path.resolve(s.file)))));
  const writers = new Map<string, Source>();
  for (const source of sources) {
    const target = source.kind === 'documents' ? shardOf(source, 0, out) : outputOf(source, formatOf(source, options), out);
    if (inputs.has(target)) throw new Error(`${path.join(options.out, path.relative(out, target))} would replace the input ${source.file}; choose another --out`);
    const other = writers.get(target);
    if (other) throw new Error(`${other.file} and ${source.file} would both be written to ${path.join(options.out, path.relative(out, target))}; annotate them into different --out folders`);
    writers.set(target, source);
  }
}

// --- The folder's run ---

/**
 * What decides the outputs: the model's folder and files, and the options that change the predictions or where they
 * go. Not --endpoint, --concurrency, --device or --workers: the same model gives the same outputs wherever it runs.
 */
async function runIdentity(args: ParsedArgs, options: CorpusOptions): Promise<Record<string, unknown>> {
  const model = args.values.model ?? DEFAULT_MODEL_DIR;
  const onnx = await readdir(path.join(model, 'onnx')).catch(() => []);
  const files = await Promise.all(['config.json', 'tokenizer.json', ...onnx.sort().map((f) => `onnx/${f}`)].map((f) => fileStamp(model, f)));
  const { values, flags } = args;
  return {
    model: await realpath(model).catch(() => path.resolve(model)),
    'model files': files.join(', '),
    heads: values.heads ?? null,
    types: values.types ?? null,
    format: options.format ?? null,
    'no-abbreviations': flags.has('no-abbreviations'),
    quantized: flags.has('quantized'),
    input: options.input ?? null,
    'tag-column': values['tag-column'] ?? null,
    scheme: values.scheme ?? null,
    'shard-size': options.shardSize,
  };
}

const fileStamp = (dir: string, file: string) =>
  stat(path.join(dir, file)).then(
    (info) => `${file} ${info.size} bytes ${info.mtime.toISOString()}`,
    () => `${file} missing`,
  );

/**
 * Makes DIR the folder of this run: created if need be, temporary files of killed runs removed, and the run's
 * identity recorded. A DIR of another run (other options or model), or holding files of no run, is refused without
 * --force.
 */
async function claimFolder(out: string, identity: Record<string, unknown>, force: boolean): Promise<void> {
  await mkdir(out, { recursive: true }).catch((error) => Promise.reject(new Error(`cannot write ${out}: ${describeErrno(error)}`)));
  removeTemporaryFiles(out);
  const recorded = await readFile(path.join(out, IDENTITY_FILE), 'utf8').then(
    (text) => parseJson(text),
    () => undefined,
  );
  if (!force && recorded === undefined && (await readdir(out)).length > 0) {
    throw new Error(`${out} holds files but no ${IDENTITY_FILE}: it is not the folder of an annotate run; choose another --out, or pass --force to write into it`);
  }
  if (!force && recorded !== undefined) {
    const before = recorded.ok && isObject(recorded.value) ? recorded.value : {};
    const changed = Object.keys(identity).filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(identity[key]));
    if (changed.length > 0) {
      const what = changed.map((key) => `${key}: ${String(before[key] ?? 'none')} then, ${String(identity[key] ?? 'none')} now`);
      throw new Error(`${out} holds the outputs of another annotate run (${what.join('; ')}); pass --force to annotate everything again, or choose another --out`);
    }
  }
  await withOutput(path.join(out, IDENTITY_FILE), (output) => output.write(JSON.stringify(identity, null, 2) + '\n'));
}

/** Removes the temporary files under `out` of runs no longer running (killed before their rename). */
function removeTemporaryFiles(out: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(out, { withFileTypes: true, recursive: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(TEMPORARY_FILE.exec(entry.name)?.[1]);
    if (pid && !isRunning(pid)) rmSync(path.join(entry.parentPath, entry.name), { recursive: true, force: true });
  }
}

// --- Annotating ---

/** Annotates a source into its outputs; a file that cannot be read is reported and the run goes on. */
async function annotateSource(source: Source, run: CorpusRun): Promise<void> {
  run.progress.beginFile(source);
  try {
    const wrote = source.kind === 'documents' ? await annotateDocuments(source, run) : await annotateWhole(source, source.kind, run);
    run.progress.endFile(wrote ? 'annotated' : 'kept');
  } catch (error) {
    // Only an error reading this file is its own; a failed write (a full disk) or a model error ends the run.
    if ((error as NodeJS.ErrnoException | undefined)?.path !== source.file) throw error;
    run.progress.cannotRead(source.file, error as NodeJS.ErrnoException);
    run.progress.endFile('unreadable');
  }
}

/** Whether `target` is left as it is: it exists from an earlier run, and --force does not ask to redo it. */
async function keeps(target: string, run: CorpusRun): Promise<boolean> {
  if (run.options.force || !(await stat(target).catch(() => undefined))) return false;
  run.progress.outputsSkipped++;
  return true;
}

/** A BIO or prose file into one output, as `bioner annotate FILE` gives it; false when the output was kept. */
async function annotateWhole(source: Source, input: InputKind, run: CorpusRun): Promise<boolean> {
  const format = formatOf(source, run.options);
  const target = outputOf(source, format, run.options.out);
  if (await keeps(target, run)) return false;
  const engine = await run.engine();
  await mkdir(path.dirname(target), { recursive: true });
  const counted = { sentences: 0, words: 0, bytes: 0 };
  await withOutput(target, (output) =>
    annotateFile(source.file, input, engine, run.args, format, output, (done, total, words) => {
      const bytes = total > 0 ? Math.round((source.bytes * done) / total) : 0;
      run.progress.annotated({ documents: 0, sentences: done - counted.sentences, words: words - counted.words, bytes: bytes - counted.bytes });
      Object.assign(counted, { sentences: done, words, bytes });
    }),
  );
  return true;
}

interface Document extends ProseText {
  id: string | number;
}

/**
 * A JSONL file of documents, read as a stream and annotated --shard-size documents at a time, each shard into its
 * own output (kept when it exists). A line that is no document is reported at its place and skipped.
 */
async function annotateDocuments(source: Source, run: CorpusRun): Promise<boolean> {
  const documents: Document[] = [];
  let shard = 0;
  let bytes = 0;
  let wrote = false;
  const flush = async () => {
    wrote = (await annotateShard(shardOf(source, shard++, run.options.out), documents, bytes, run)) || wrote;
    documents.length = 0;
    bytes = 0;
  };
  for await (const line of linesOfFile(source.file)) {
    bytes += Buffer.byteLength(line.text) + 1;
    const document = documentOf(line, run.options.input === 'markdown' ? 'markdown' : 'plaintext');
    if (typeof document === 'string') run.progress.badLine(`${source.file}:${line.number + 1}: ${document}; skipped`);
    else if (document) documents.push(document);
    if (documents.length === run.options.shardSize) await flush();
  }
  if (documents.length > 0) await flush();
  await removeShardsFrom(source, shard, run.options.out);
  return wrote;
}

/** Shards from `first` on, left by a run of a longer file or a smaller --shard-size: they would repeat documents. */
async function removeShardsFrom(source: Source, first: number, out: string): Promise<void> {
  const firstShard = shardOf(source, 0, out);
  const dir = path.dirname(firstShard);
  const prefix = path.basename(firstShard).replace(/00000\.jsonl$/, '');
  for (const name of await readdir(dir).catch(() => [])) {
    const index = name.startsWith(prefix) ? /^(\d{5,})\.jsonl$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (index !== undefined && Number(index) >= first) await rm(path.join(dir, name), { force: true });
  }
}

/** The document on a line; undefined for a blank line, the reason as a string for a line that is no document. */
function documentOf(line: Line, defaultFormat: ProseText['format']): Document | string | undefined {
  if (line.text.trim() === '') return undefined;
  const parsed = parseJson(line.text);
  if (!parsed.ok) return `not valid JSON (${parsed.error})`;
  if (!isObject(parsed.value)) return 'not a JSON object';
  const { text, id, format } = parsed.value;
  if (typeof text !== 'string') return 'no "text" string';
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') return '"id" is neither a string nor a number';
  if (format !== undefined && format !== 'text' && format !== 'markdown') return `"format" is ${JSON.stringify(format)}, not "text" or "markdown"`;
  return { id: id ?? line.number + 1, text, format: format === undefined ? defaultFormat : format === 'markdown' ? 'markdown' : 'plaintext' };
}

/** One shard: a line per document, `{"id", "entities"}` with offsets into the document's text; false when kept. */
async function annotateShard(target: string, documents: readonly Document[], bytes: number, run: CorpusRun): Promise<boolean> {
  if (await keeps(target, run)) {
    run.progress.skippedBytes(bytes);
    return false;
  }
  const engine = await run.engine();
  await mkdir(path.dirname(target), { recursive: true });
  const sentences = await withOutput(target, async (output) => {
    const results = await predictProse(documents, engine, proseRequest(engine, run.args));
    const lines = results.map(({ sentences, predictions }, i) => {
      const { id, text } = documents[i];
      return JSON.stringify({ id, entities: sentences.flatMap((sentence, k) => proseEntities(text, sentence, predictions[k])) }) + '\n';
    });
    await output.write(lines.join(''));
    return results.flatMap((r) => r.sentences);
  });
  run.progress.annotated({ documents: documents.length, sentences: sentences.length, words: wordCount(sentences.map((s) => s.texts)), bytes });
  return true;
}
