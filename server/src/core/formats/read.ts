/** Tells an input file's format from its name and content, and reads it into records. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SchemeSetting } from '@common/settings';
import { readBioFile } from '../conll/corpus';
import { looksLikeBio } from '../corpus/discover';
import { documentsFromBio } from './bio';
import { readBrat } from './brat';
import { readDoccano } from './doccano';
import { jsonFormatOf, readJsonRecords } from './json';
import { readLabelStudio } from './labelStudio';
import type { Reading, SourceFormat } from './model';
import { readProdigy } from './prodigy';

/** Extensions BIO/CoNLL files have (.tsv as the corpora in shared/data). */
const BIO_EXTENSIONS = new Set(['.bio', '.iob', '.iob2', '.bioes', '.iobes', '.bilou', '.conll', '.tsv']);
const JSON_EXTENSIONS = new Set(['.json', '.jsonl', '.ndjson']);

/** `json`: one of doccano, Label Studio or Prodigy, told apart by the records' shape once read. */
export type InputKind = 'bio' | 'brat' | 'json';

/**
 * The kind of input a file is: .ann, or .txt beside an .ann, is brat; BIO extensions are BIO; .json/.jsonl are JSON;
 * any other file is BIO when its lines read as tagged tokens, JSON when it starts with `{` or `[`.
 */
export async function inputKindOf(file: string, from?: SourceFormat): Promise<InputKind> {
  if (from) return from === 'bio' || from === 'brat' ? from : 'json';
  const extension = path.extname(file).toLowerCase();
  if (extension === '.ann' || (extension === '.txt' && existsSync(bratFiles(file).ann))) return 'brat';
  if (BIO_EXTENSIONS.has(extension)) return 'bio';
  if (JSON_EXTENSIONS.has(extension)) return 'json';
  if (await looksLikeBio(file)) return 'bio';
  if (/^\uFEFF?\s*[[{]/.test(readText(file).slice(0, 4096))) return 'json';
  throw new Error(`cannot tell the format of ${file} from its name or content: give --from bio|doccano|labelstudio|prodigy|brat`);
}

/** The text and annotation files of a brat document, from either one or their common stem. */
export function bratFiles(file: string): { txt: string; ann: string } {
  const stem = /\.(ann|txt)$/i.test(file) ? file.slice(0, -4) : file;
  return { txt: `${stem}.txt`, ann: `${stem}.ann` };
}

export interface Input {
  format: SourceFormat;
  reading: Reading;
  /** The files read (brat: the text and the annotations). */
  files: string[];
}

/** Reads a file of a character format, or a BIO file as one record a sentence. */
export async function readInput(file: string, kind: InputKind, settings: { tagColumn: number; scheme: SchemeSetting }, from?: SourceFormat): Promise<Input> {
  if (kind === 'bio') {
    const { layout, sentences, docstarts } = await readBioFile(file, settings);
    const reading = documentsFromBio(sentences, layout, file);
    if (docstarts.length) reading.notes.push(`${docstarts.length} -DOCSTART- mark(s) not kept: the other formats have no document marks`);
    return { format: 'bio', reading, files: [file] };
  }
  if (kind === 'brat') {
    const files = bratFiles(file);
    for (const part of [files.txt, files.ann]) if (!existsSync(part)) throw new Error(`brat input needs ${files.txt} and ${files.ann}: ${part} is missing`);
    return { format: 'brat', reading: readBrat(readText(files.txt), readText(files.ann), files), files: [files.txt, files.ann] };
  }
  const { records, problems } = readJsonRecords(readText(file), file);
  const format = from ?? jsonFormatOf(records);
  if (!format || format === 'bio' || format === 'brat') {
    const keys = records[0] ? Object.keys(records[0].value).slice(0, 8).join(', ') : 'no records';
    throw new Error(`${file}: not a doccano, Label Studio or Prodigy file (first record: ${keys}): give --from`);
  }
  const read = format === 'doccano' ? readDoccano : format === 'labelstudio' ? readLabelStudio : readProdigy;
  const reading = read(records);
  reading.problems.unshift(...problems);
  return { format, reading, files: [file] };
}

/** A whole text file; its failure names the file. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
