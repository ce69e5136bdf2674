/** `bioner annotate`: model predictions for a BIO file (tag appended as a column) or for prose (JSON lines). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ENTITY_TYPES } from '@common/settings';
import { bioSentence } from '../core/conll/write';
import { readCorpus, scanLayout, wordsOf, type CorpusItem } from '../core/conll/corpus';
import { isDocstart } from '../core/conll/columns';
import type { Layout } from '../core/conll/layout';
import type { NerEngine, SentencePrediction } from '../core/ner/engine';
import { chooseTypes, comparedTypes } from '../core/ner/entityTypes';
import type { ProseFormat } from '../core/prose/mask';
import { segmentProse } from '../core/prose/segment';
import { choice, LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { bioScope, WHOLE_TEXT } from '../core/ner/abbreviationTypes';
import { closeEngine, loadEngine, MODEL_FLAGS, MODEL_OPTIONS, predictDocument, typesFromArgs } from './model';
import { REMOTE_OPTIONS } from './remote';
import { withOutput, type Output } from './output';

const BIO_EXTENSIONS = new Set(['.bio', '.iob', '.iob2', '.bioes', '.iobes', '.bilou', '.conll', '.tsv']);
/** Lines and sentences sent to the engine at once: enough to batch by length, little enough to stream. */
const CHUNK = 512;
/** A block waits this long for a -DOCSTART- mark to end at, so that a document's abbreviations stay in one block. */
const LONGEST_BLOCK = 4 * CHUNK;

export const ANNOTATE_FORMATS = { enum: ['conll', 'jsonl'], default: 'conll' } as const;
export const INPUT_KINDS = ['bio', 'text', 'markdown'] as const;

export async function runAnnotate(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['format', 'input', 'output', ...MODEL_OPTIONS, ...LAYOUT_OPTIONS, ...REMOTE_OPTIONS], flags: MODEL_FLAGS });
  if (args.positional.length !== 1) throw new UsageError('annotate takes one file');
  const [file] = args.positional;
  const format = choice(args.values, 'format', ANNOTATE_FORMATS);
  const guessed = BIO_EXTENSIONS.has(path.extname(file).toLowerCase()) ? 'bio' : /\.(md|markdown)$/i.test(file) ? 'markdown' : 'text';
  const input = choice(args.values, 'input', { enum: INPUT_KINDS, default: guessed });
  const engine = await loadEngine(args.values, args.flags);
  try {
    // Without --types: a BIO file's own types when it annotates some, else the types the editor shows in prose.
    const shown = chooseTypes(DEFAULT_ENTITY_TYPES, engine.entityTypes).types;
    await withOutput(args.values.output, async (output) => {
      if (input !== 'bio') {
        const types = typesFromArgs(args.values, engine, shown);
        return annotateProse(readFileSync(file, 'utf8'), input === 'markdown' ? 'markdown' : 'plaintext', engine, { types, flags: args.flags }, format, output);
      }
      const layout = await scanLayout(file, settingsFromArgs(args.values));
      const types = typesFromArgs(args.values, engine, comparedTypes(layout.typeCounts.keys(), engine.entityTypes) ?? shown);
      return annotateBio(file, layout, engine, { types, flags: args.flags }, format, output);
    });
  } finally {
    await closeEngine(engine);
  }
  return 0;
}

/** What is asked of the model: the types (undefined: every type) and the flags (`--no-abbreviations`). */
interface Request {
  types: ReadonlySet<string> | undefined;
  flags: Set<string>;
}

/**
 * Streams the file in blocks: from CHUNK items on, a block ends at the next -DOCSTART- mark, and at LONGEST_BLOCK
 * items in a file without marks. The abbreviations a block defines apply within it.
 */
async function annotateBio(file: string, layout: Layout, engine: NerEngine, request: Request, format: string, output: Output): Promise<void> {
  const separator = layout.separator === 'tab' ? '\t' : ' ';
  let pending: CorpusItem[] = [];
  let done = 0;
  const flush = async () => {
    const sentences = pending.filter((i): i is Extract<CorpusItem, { kind: 'sentence' }> => i.kind === 'sentence');
    const docstarts = pending.flatMap((i) => (i.kind === 'line' && isDocstart(i.line.text) ? [i.line.number] : []));
    const scope = bioScope(sentences.map((s) => s.tokens[0].line.number), docstarts);
    const predictions = await predictDocument(engine, sentences.map((s) => wordsOf(s.tokens)), request.types, scope, request.flags);
    let k = 0;
    // One write per chunk: awaiting it stops the run at the first failed write (a full disk).
    let text = '';
    for (const item of pending) {
      if (item.kind === 'line') {
        if (format === 'conll') text += item.line.text + '\n';
        continue;
      }
      const prediction = predictions[k++];
      if (format === 'conll') text += item.tokens.map((t, i) => `${t.line.text}${separator}${prediction.labels[i]}\n`).join('');
      else text += JSON.stringify(sentenceJson(wordsOf(item.tokens), prediction)) + '\n';
    }
    await output.write(text);
    done += sentences.length;
    process.stderr.write(`\rannotated ${done}/${layout.sentences} sentences`);
    pending = [];
  };
  for await (const item of readCorpus(file, layout)) {
    const docstart = item.kind === 'line' && isDocstart(item.line.text);
    if (docstart && pending.length >= CHUNK) await flush();
    pending.push(item);
    if (pending.length >= LONGEST_BLOCK && item.kind === 'sentence') await flush();
  }
  // The empty "line" after a file's final line break is not a line of output.
  const last = pending[pending.length - 1];
  if (last?.kind === 'line' && last.line.text === '') pending.pop();
  await flush();
  process.stderr.write(` (${Math.round(engine.wordsPerSecond)} tokens/s on ${engine.device})\n`);
}

function sentenceJson(words: string[], prediction: SentencePrediction) {
  return {
    tokens: words,
    labels: prediction.labels,
    entities: prediction.spans.map((s) => ({ start: s.start, end: s.end, type: s.type, text: words.slice(s.start, s.end).join(' '), confidence: round(s.confidence) })),
  };
}

const round = (x: number) => Math.round(x * 10000) / 10000;

async function annotateProse(text: string, proseFormat: ProseFormat, engine: NerEngine, request: Request, format: string, output: Output): Promise<void> {
  const sentences = segmentProse(text, proseFormat);
  const predictions = await predictDocument(engine, sentences.map((s) => s.texts), request.types, WHOLE_TEXT, request.flags);
  const lines = sentences.map((sentence, i) => {
    const { words } = sentence;
    const prediction = predictions[i];
    if (format === 'conll') return bioSentence(sentence.texts, prediction.labels);
    const entities = prediction.spans.map((s) => ({
      start: words[s.start].start,
      end: words[s.end - 1].end,
      type: s.type,
      text: text.slice(words[s.start].start, words[s.end - 1].end),
      confidence: round(s.confidence),
    }));
    return JSON.stringify({ start: sentence.start, end: sentence.end, text: text.slice(sentence.start, sentence.end), entities }) + '\n';
  });
  await output.write(lines.join(''));
}
