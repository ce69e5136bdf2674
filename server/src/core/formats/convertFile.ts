/**
 * Converts an annotation file between BIO (IOB2/IOBES) and the character formats, as `bioner convert` and the editor's
 * "Convert File to Format…" do: character formats convert directly into each other, so nothing is lost on the way.
 */
import type { SchemeSetting } from '@common/settings';
import { convertText } from '../conll/convert';
import { writeBio } from './bio';
import { writeBrat } from './brat';
import { writeDoccano } from './doccano';
import { writeLabelStudio } from './labelStudio';
import type { AnnotatedText, Problem, SourceFormat, TargetFormat } from './model';
import { writeProdigy } from './prodigy';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { bratFiles, inputKindOf, readInput, readText } from './read';
import { resolveTextKind, type TextKind, type TextKindSetting } from './words';

export interface ConvertRequest {
  input: string;
  to: TargetFormat;
  /** The input's format; told from its name and content when absent. */
  from?: SourceFormat;
  /** How texts without tokens are split into sentences and words (for BIO and Prodigy output). */
  text: TextKindSetting;
  /** How a BIO input's columns and scheme are read. */
  settings: { tagColumn: number; scheme: SchemeSetting };
}

/** What a conversion gives: the output texts (brat: the `.txt` and the `.ann`) and what was counted and found. */
export interface Conversion {
  from: SourceFormat | 'generative';
  to: TargetFormat;
  /** One output, or brat's two, each with the extension its path takes (undefined: the path as given). */
  outputs: { extension?: '.txt' | '.ann'; text: string }[];
  /** Records read (BIO: sentences). */
  records: number;
  /** Records or sentences written. */
  written: number;
  entities: number;
  /** For BIO → BIO: tags rewritten. */
  changedTags?: number;
  /** How texts were split, when they had to be. */
  textKind?: TextKind;
  problems: Problem[];
  notes: string[];
}

export async function convertFile(request: ConvertRequest): Promise<Conversion> {
  const { input, to } = request;
  const kind = await inputKindOf(input, request.from);
  if (kind === 'bio' && (to === 'iob2' || to === 'iobes')) {
    const converted = convertText(readText(input), request.settings, to === 'iob2' ? 'IOB2' : 'IOBES');
    return { from: 'bio', to, outputs: [{ text: converted.text }], records: 0, written: 0, entities: 0, changedTags: converted.changed, problems: [], notes: [] };
  }
  const { format, reading } = await readInput(input, kind, request.settings, request.from);
  const written = writeTarget(reading.documents, to, request.text);
  return { from: format, to, records: reading.documents.length, ...written, problems: [...reading.problems, ...written.problems], notes: [...reading.notes, ...written.notes] };
}

type Written = Pick<Conversion, 'outputs' | 'written' | 'entities' | 'textKind' | 'problems' | 'notes'>;

/** The records in the target format, straight from one to the other. */
function writeTarget(documents: readonly AnnotatedText[], to: TargetFormat, textSetting: TextKindSetting): Written {
  const entities = documents.reduce((sum, d) => sum + d.spans.length, 0);
  const plain = (text: string): Written => ({ outputs: [{ text }], written: documents.length, entities, problems: [], notes: [] });
  switch (to) {
    case 'iob2':
    case 'iobes': {
      const textKind = resolveTextKind(textSetting, documents);
      const bio = writeBio(documents, textKind, to === 'iob2' ? 'IOB2' : 'IOBES');
      return { outputs: [{ text: bio.text }], written: bio.sentences, entities: bio.entities, textKind, problems: bio.problems, notes: bio.notes };
    }
    case 'doccano':
      return plain(writeDoccano(documents));
    case 'labelstudio':
      return plain(writeLabelStudio(documents));
    case 'prodigy': {
      // The kind splits only the texts that come without tokens.
      const textKind = documents.every((d) => d.tokens) ? undefined : resolveTextKind(textSetting, documents);
      const prodigy = writeProdigy(documents, textKind ?? 'pretokenized');
      return { ...plain(prodigy.text), entities: prodigy.entities, textKind, problems: prodigy.problems };
    }
    case 'brat': {
      const brat = writeBrat(documents);
      return { outputs: [{ extension: '.txt', text: brat.txt }, { extension: '.ann', text: brat.ann }], written: documents.length, entities, problems: brat.problems, notes: brat.notes };
    }
  }
}

/** The summary `bioner convert` prints on stderr and the editor shows: counts, notes, then every problem at its place. */
export function describeConversion(c: Conversion): string[] {
  if (c.changedTags !== undefined) return [`bio → ${c.to}: ${c.changedTags} tag(s) changed`];
  const split = c.textKind ? `, texts read as ${c.textKind}` : '';
  const unit = c.to === 'iob2' || c.to === 'iobes' ? 'sentence(s)' : 'record(s)';
  const lines = [`${c.from} → ${c.to}: ${c.records} record(s) read${split}; ${c.written} ${unit} and ${c.entities} entit${c.entities === 1 ? 'y' : 'ies'} written`];
  for (const note of c.notes) lines.push(`note: ${note}`);
  lines.push(c.problems.length ? `${c.problems.length} problem(s):` : 'no problems');
  // In file order (line numbers compared as numbers); problems at one place keep the order they were found in.
  const inOrder = [...c.problems].sort((a, b) => a.location.localeCompare(b.location, 'en', { numeric: true }));
  for (const problem of inOrder) lines.push(`${problem.location}: ${problem.message}`);
  return lines;
}

/** The files a conversion to `to` writes at `output`: brat's `.txt` and `.ann` (from `output` or its stem), else `output`. */
export function outputFiles(to: TargetFormat, output: string): string[] {
  if (to !== 'brat') return [output];
  const { txt, ann } = bratFiles(output);
  return [txt, ann];
}

/** Each output text with the file it goes to when the conversion is written at `output`. */
export function outputsAt(conversion: Conversion, output: string): { file: string; text: string }[] {
  const [txt, ann] = outputFiles('brat', output);
  return conversion.outputs.map((part) => ({ file: part.extension === '.ann' ? ann : part.extension === '.txt' ? txt : output, text: part.text }));
}

/** The output that would overwrite the input (or, for a .txt/.ann input, its brat partner), if one would. */
export function overwrittenInput(input: string, outputs: readonly string[]): string | undefined {
  const real = (file: string) => {
    try {
      return realpathSync(file);
    } catch {
      return path.resolve(file);
    }
  };
  const inputs = /\.(ann|txt)$/i.test(input) ? outputFiles('brat', input).map(real) : [real(input)];
  return outputs.find((output) => inputs.includes(real(output)));
}
