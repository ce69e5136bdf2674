/** `bioner check`: the editor's checks over files, as text, JSON or SARIF; exit 1 on error-level findings. */
import { checkFile } from '../core/checks/checker';
import { formatJson, formatSarif, formatText, visibleFindings, type FileReport } from '../core/checks/report';
import { choice, LAYOUT_OPTIONS, parseArgs, settingsFromArgs, UsageError } from './args';
import { withOutput } from './output';
import { VERSION } from './version';

export const CHECK_FORMATS = { enum: ['text', 'json', 'sarif'], default: 'text' } as const;

export async function runCheck(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['format', 'output', ...LAYOUT_OPTIONS], flags: [] });
  if (args.positional.length === 0) throw new UsageError('check needs at least one file');
  const format = choice(args.values, 'format', CHECK_FORMATS);
  const settings = settingsFromArgs(args.values);
  const reports: FileReport[] = [];
  for (const path of args.positional) {
    try {
      reports.push({ path, findings: (await checkFile(path, settings)).findings });
    } catch (error) {
      reports.push({ path, findings: [], error: (error as Error).message });
    }
  }
  const text =
    format === 'json' ? formatJson(reports, settings.severity) : format === 'sarif' ? formatSarif(reports, settings.severity, VERSION) : formatText(reports, settings.severity);
  await withOutput(args.values.output, (output) => output.write(text + '\n'));
  const failed = reports.some((r) => r.error || visibleFindings(r.findings, settings.severity).some((f) => settings.severity[f.code] === 'error'));
  return failed ? 1 : 0;
}
