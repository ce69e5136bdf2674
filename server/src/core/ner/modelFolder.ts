/**
 * A model folder in the Hugging Face Optimum / transformers.js layout: config.json (id2label), tokenizer.json,
 * onnx/model.onnx. Loading validates everything and says exactly what is wrong.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseTag } from '../conll/tags';
import type { Crf } from './viterbi';

/** The embedded default model, beside the bundles (dist/../models/default). */
export const DEFAULT_MODEL_DIR = path.join(__dirname, '..', 'models', 'default');

export class ModelFolderError extends Error {
  constructor(
    readonly folder: string,
    readonly problems: string[],
  ) {
    super(`${folder} is not a usable model folder:\n- ${problems.join('\n- ')}`);
  }
}

export interface ModelFolder {
  dir: string;
  /** A short name for status lines: the folder's name. */
  name: string;
  /** Changes whenever the graph, labels or tokenizer change: part of every cache key. */
  id: string;
  modelType: string;
  labels: string[];
  onnxPath: string;
  tokenizerJson: object;
  tokenizerConfig: object;
  /** Most sub-words per sequence, special tokens included. */
  maxLength: number;
  /** Words shared by consecutive windows of a long sentence, as the model was trained (`bioner.window_overlap`). */
  windowOverlap?: number;
  /** Label groups decoded separately (one per training corpus); a single head over all labels by default. */
  heads: Head[];
  quantized: boolean;
}

export interface Head {
  name: string;
  /** Label ids (indices into `labels` and the logits) of this head, in order. */
  labels: number[];
  crf?: Crf;
  /** Part of the default output; `false` for a head kept only to be asked for by name (another guideline). */
  byDefault: boolean;
}

function readJson(file: string, problems: string[]): Record<string, unknown> | undefined {
  if (!existsSync(file)) {
    problems.push(`${path.basename(file)} is missing`);
    return undefined;
  }
  try {
    const value = JSON.parse(readFileSync(file, 'utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    problems.push(`${path.basename(file)} is not a JSON object`);
  } catch (error) {
    problems.push(`${path.basename(file)} is not valid JSON: ${(error as Error).message}`);
  }
  return undefined;
}

/** Labels in id order from id2label, checked to be a contiguous 0..n-1 range of BIO tags. */
function labelsOf(config: Record<string, unknown>, problems: string[]): string[] {
  const id2label = config.id2label;
  if (!id2label || typeof id2label !== 'object') {
    problems.push('config.json has no id2label object');
    return [];
  }
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = new Array(entries.length);
  for (const [key, label] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length) problems.push(`id2label key '${key}' is not an id between 0 and ${entries.length - 1}`);
    else if (typeof label !== 'string') problems.push(`id2label['${key}'] is not a string`);
    else {
      const parsed = parseTag(label);
      if (!parsed.ok) problems.push(`label '${label}' (id ${key}) is not a BIO tag: ${parsed.reason}`);
      labels[id] = label;
    }
  }
  if (labels.length === 0) problems.push('id2label is empty');
  return labels;
}

function crfOf(crf: Record<string, unknown> | undefined, size: number, where: string, problems: string[]): Crf | undefined {
  if (!crf) return undefined;
  const isVector = (v: unknown): v is number[] => Array.isArray(v) && v.length === size && v.every((x) => typeof x === 'number');
  const { transitions, start, end } = crf;
  if (!Array.isArray(transitions) || transitions.length !== size || !transitions.every(isVector) || !isVector(start) || !isVector(end)) {
    problems.push(`config.json ${where} must have transitions [${size}][${size}], start [${size}] and end [${size}] numbers`);
    return undefined;
  }
  return { transitions, start, end };
}

/**
 * `bioner.heads` splits the labels of a multi-corpus model into groups, each with its own CRF; without it the
 * model has one head over all labels (and `bioner.crf`, if any). A head with `"default": false` is decoded only when
 * asked for by name: two corpora that annotate one type under different guidelines are not merged by confidence.
 */
function headsOf(bioner: Record<string, unknown> | undefined, labels: string[], problems: string[]): Head[] {
  const heads = bioner?.heads;
  if (heads === undefined) {
    const crf = crfOf(bioner?.crf as Record<string, unknown> | undefined, labels.length, 'bioner.crf', problems);
    return [{ name: 'default', labels: labels.map((_, i) => i), crf, byDefault: true }];
  }
  if (!Array.isArray(heads) || heads.length === 0) {
    problems.push('config.json bioner.heads must be a non-empty list');
    return [];
  }
  const parsed = heads.map((head: Record<string, unknown>, h): Head => {
    const ids = head?.labels;
    const where = `bioner.heads[${h}]`;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id >= 0 && id < labels.length)) {
      problems.push(`config.json ${where}.labels must list label ids between 0 and ${labels.length - 1}`);
      return { name: String(head?.name ?? h), labels: [], byDefault: true };
    }
    if (head.default !== undefined && typeof head.default !== 'boolean') problems.push(`config.json ${where}.default must be true or false`);
    const crf = crfOf(head.crf as Record<string, unknown> | undefined, ids.length, `${where}.crf`, problems);
    return { name: String(head.name ?? h), labels: ids as number[], crf, byDefault: head.default !== false };
  });
  if (!parsed.some((head) => head.byDefault)) problems.push('config.json bioner.heads: every head has "default": false, so the default output would be empty');
  return parsed;
}

/** Model types whose position ids start after the padding id (RoBERTa family): fewer usable positions. */
const OFFSET_POSITIONS = new Set(['roberta', 'xlm-roberta', 'camembert', 'longformer', 'bart', 'mbart', 'data2vec-text', 'xmod']);

/** The fewest positions any declaration allows; tokenizers often declare a huge "no limit" value. */
function maxLengthOf(config: Record<string, unknown>, bioner: Record<string, unknown> | undefined, tokenizerConfig: object): number {
  let positions = Number(config.max_position_embeddings);
  if (OFFSET_POSITIONS.has(String(config.model_type)) && Number.isInteger(positions)) positions -= Number(config.pad_token_id ?? 1) + 1;
  const limits = [bioner?.max_length, (tokenizerConfig as Record<string, unknown>).model_max_length, positions]
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 8 && n <= 100_000);
  return limits.length ? Math.min(...limits) : 512;
}

export function loadModelFolder(dir: string, options: { preferQuantized?: boolean } = {}): ModelFolder {
  const problems: string[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelFolderError(dir, ['the folder does not exist']);
  const config = readJson(path.join(dir, 'config.json'), problems);
  const tokenizerJson = readJson(path.join(dir, 'tokenizer.json'), problems);
  const tokenizerConfig = existsSync(path.join(dir, 'tokenizer_config.json')) ? readJson(path.join(dir, 'tokenizer_config.json'), problems) : {};
  const full = path.join(dir, 'onnx', 'model.onnx');
  const quantizedPath = path.join(dir, 'onnx', 'model_quantized.onnx');
  const quantized = options.preferQuantized === true && existsSync(quantizedPath);
  const onnxPath = quantized ? quantizedPath : full;
  if (!existsSync(onnxPath)) problems.push('onnx/model.onnx is missing');
  const labels = config ? labelsOf(config, problems) : [];
  const bioner = config?.bioner as Record<string, unknown> | undefined;
  const heads = headsOf(bioner, labels, problems);
  if (tokenizerJson && !(tokenizerJson as { model?: unknown }).model) problems.push('tokenizer.json has no "model" section');
  const windowOverlap = bioner?.window_overlap;
  if (windowOverlap !== undefined && !(Number.isInteger(windowOverlap) && (windowOverlap as number) >= 0)) {
    problems.push('config.json bioner.window_overlap must be a whole number of words (0 or more)');
  }
  if (problems.length > 0 || !config || !tokenizerJson) throw new ModelFolderError(dir, problems);
  const maxLength = maxLengthOf(config, bioner, tokenizerConfig ?? {});
  const stat = statSync(onnxPath);
  const id = createHash('sha1')
    .update(JSON.stringify(labels))
    .update(JSON.stringify(tokenizerJson).length.toString())
    .update(`${onnxPath}:${stat.size}:${stat.mtimeMs}`)
    .digest('hex')
    .slice(0, 12);
  return {
    dir,
    name: path.basename(path.resolve(dir)),
    id,
    modelType: String(config.model_type ?? 'unknown'),
    labels,
    onnxPath,
    tokenizerJson,
    tokenizerConfig: tokenizerConfig ?? {},
    maxLength,
    windowOverlap: windowOverlap as number | undefined,
    heads,
    quantized,
  };
}
