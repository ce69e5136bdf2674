#!/usr/bin/env node
/** The `bioner` command line; every command sits on the same core modules as the language server. */
import { writeFileSync } from 'node:fs';
import { resolveSettings, type BionerSettings } from '@common/settings';
import { checkFile } from './core/checks/checker';
import { formatJson, formatSarif, formatText, visibleFindings, type FileReport } from './core/checks/report';
import { runConvert } from './core/cliConvert';
import { parseArgs, UsageError } from './core/cliArgs';

const VERSION = '0.1.0';

const USAGE = `bioner ${VERSION}: biomedical NER and BIO/CoNLL checking

Usage:
  bioner check FILES… [--format text|json|sarif] [--output FILE] [--tag-column N] [--scheme auto|IOB1|IOB2|IOBES|BILOU]
      Runs the editor's checks; exits 1 when an error-level finding exists.
  bioner convert FILE --to iob2|iobes [--output FILE]
      Rewrites the tags in another scheme; prints to stdout unless --output is given.
  bioner help`;

async function check(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['format', 'output', 'tag-column', 'scheme'], flags: [] });
  if (args.positional.length === 0) throw new UsageError('check needs at least one file');
  const format = args.values.format ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format '${format}' (text, json or sarif)`);
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
  if (args.values.output) writeFileSync(args.values.output, text + '\n');
  else process.stdout.write(text + '\n');
  const failed = reports.some((r) => r.error || visibleFindings(r.findings, settings.severity).some((f) => settings.severity[f.code] === 'error'));
  return failed ? 1 : 0;
}

function settingsFromArgs(values: Record<string, string | undefined>): BionerSettings {
  const tagColumn = values['tag-column'];
  if (tagColumn !== undefined && !/^-?\d+$/.test(tagColumn)) throw new UsageError(`--tag-column takes an integer, not '${tagColumn}'`);
  const scheme = values.scheme;
  if (scheme && !['auto', 'IOB1', 'IOB2', 'IOBES', 'BILOU'].includes(scheme)) throw new UsageError(`unknown scheme '${scheme}'`);
  return resolveSettings({ tagColumn: tagColumn === undefined ? undefined : Number(tagColumn), scheme: scheme as BionerSettings['scheme'] });
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  check,
  convert: (argv) => runConvert(argv, settingsFromArgs),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}'`);
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) process.stderr.write(`bioner: ${error.message}\n\n${USAGE}\n`);
    else process.stderr.write(`bioner: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
