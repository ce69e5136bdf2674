/** Finds the BIO files among paths: files as given, folders searched recursively, .tsv/.txt sniffed for a tag column. */
import { readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { detectSeparator, lineKind } from '../conll/columns';
import { tokenLine } from '../conll/reader';
import { linesOfFile } from '../text/lines';

/** Extensions that only BIO/CoNLL files use. */
const BIO_EXTENSIONS = new Set(['.bio', '.iob', '.iob2', '.bioes', '.conll']);
/** Extensions shared with other data: taken only when the content looks like BIO. */
const SNIFFED_EXTENSIONS = new Set(['.tsv', '.txt']);

const SNIFF_TOKEN_LINES = 200;
const SNIFF_SHARE = 0.9;

/**
 * The BIO files under `paths`, in order and without repeats: a file path is taken as it is (a missing one too, so
 * that its reader reports it); a folder is searched in name order, recursively unless `recursive` is false, skipping
 * hidden folders and node_modules, and following a symbolic link to a folder only once.
 */
export async function bioFiles(paths: readonly string[], tagColumn = -1, recursive = true): Promise<string[]> {
  const found = new Set<string>();
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      // A link is followed to what it points at; a dangling one is skipped.
      const kind = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : entry;
      if (kind?.isDirectory()) {
        if (recursive && !entry.name.startsWith('.') && entry.name !== 'node_modules') await walk(full);
      } else if (kind?.isFile() && (await isBioFile(full, tagColumn))) found.add(full);
    }
  };
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (info?.isDirectory()) await walk(given);
    else found.add(given);
  }
  return [...found];
}

async function isBioFile(file: string, tagColumn: number): Promise<boolean> {
  const extension = path.extname(file).toLowerCase();
  if (BIO_EXTENSIONS.has(extension)) return true;
  return SNIFFED_EXTENSIONS.has(extension) && looksLikeBio(file, tagColumn);
}

/**
 * Whether a file reads as BIO: among its first token lines (structure lines, comments and -DOCSTART- aside), at
 * least 90% have a tag column that parses as a tag. A table of numbers or prose fails; an unreadable file too.
 */
export async function looksLikeBio(file: string, tagColumn = -1): Promise<boolean> {
  const sample: string[] = [];
  try {
    for await (const line of linesOfFile(file)) {
      if (line.text.trim() !== '') sample.push(line.text);
      if (sample.length >= SNIFF_TOKEN_LINES) break;
    }
  } catch {
    return false;
  }
  const separator = detectSeparator(sample);
  const tokens = sample.filter((text) => lineKind(text, separator) === 'token');
  if (tokens.length === 0) return false;
  const tagged = tokens.filter((text) => tokenLine({ number: 0, text, offset: 0 }, separator, tagColumn).tagParse?.ok).length;
  return tagged >= SNIFF_SHARE * tokens.length;
}
