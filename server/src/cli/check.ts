/** `bioner check`: the editor's checks over files and folders, and the corpus checks across them, as text, JSON or SARIF; exit 1 on error-level findings. */
import { checkFile } from '../core/checks/checker';
import { byPosition } from '../core/checks/finding';
import { formatJson, formatSarif, formatText, visibleFindings, type FileReport } from '../core/checks/report';
import { corpusFindings, indexCorpora } from '../core/corpus/batch';
import { corpusDetectors } from '../core/corpus/detectors';
import { bioFiles } from '../core/corpus/discover';
import { choice, CORPUS_OPTIONS, corpusOptionsFromArgs, LAYOUT_OPTIONS, parseArgs, settingsFromArgs, thresholdsFromArgs, UsageError } from './args';
import { withOutput } from './output';
import { VERSION } from './version';

export const CHECK_FORMATS = { enum: ['text', 'json', 'sarif'], default: 'text' } as const;

export async function runCheck(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['format', 'output', ...LAYOUT_OPTIONS, ...CORPUS_OPTIONS], flags: [] });
  if (args.positional.length === 0) throw new UsageError('check needs at least one file or folder');
  const format = choice(args.values, 'format', CHECK_FORMATS);
  const settings = settingsFromArgs(args.values);
  const corpusOptions = corpusOptionsFromArgs(args, settings);
  const files = await bioFiles(args.positional, settings.tagColumn);
  if (files.length === 0) throw new Error(`no BIO file in ${args.positional.join(', ')}`);
  const reports = new Map<string, FileReport>();
  for (const path of files) {
    try {
      reports.set(path, { path, findings: (await checkFile(path, settings)).findings });
    } catch (error) {
      reports.set(path, { path, findings: [], error: (error as Error).message });
    }
  }
  // A file that could not be read has its error already; the corpus checks add to the others.
  for await (const corpus of indexCorpora(files.filter((f) => !reports.get(f)!.error), corpusOptions, corpusDetectors(thresholdsFromArgs(args.values)))) {
    for (const [file, findings] of corpusFindings(corpus)) {
      const report = reports.get(file)!;
      report.findings = [...report.findings, ...findings].sort(byPosition);
    }
  }
  const all = [...reports.values()];
  const text = format === 'json' ? formatJson(all, settings.severity) : format === 'sarif' ? formatSarif(all, settings.severity, VERSION) : formatText(all, settings.severity);
  await withOutput(args.values.output, (output) => output.write(text + '\n'));
  const failed = all.some((r) => r.error || visibleFindings(r.findings, settings.severity).some((f) => settings.severity[f.code] === 'error'));
  return failed ? 1 : 0;
}
