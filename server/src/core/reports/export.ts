/** The reports as Markdown, plain text and JSON: the views' exports and what `bioner stats` and `bioner eval` print. */
import * as path from 'node:path';
import type { CorpusStats } from '../corpus/stats';
import type { Evaluation } from '../eval/score';
import { evaluationTable, isNumeric, rareTypesLine, statsTables, type ReportTable } from './tables';

/** What an evaluation ran: shown above its table. */
export interface EvaluationContext {
  file: string;
  model: string;
  /** The types scored; undefined: every type the model predicts. */
  types?: readonly string[];
  abbreviations: boolean;
}

export const statsJson = (corpora: readonly CorpusStats[]): string => JSON.stringify({ corpora }, null, 2);

/** The evaluation's scores; the error lists are the views' and stay out. */
export function evaluationJson(evaluation: Evaluation): string {
  const { errors: _errors, ...scores } = evaluation;
  return JSON.stringify(scores, null, 2);
}

export function statsMarkdown(stats: CorpusStats): string {
  const files = stats.splits.map((s) => `${s.split}: ${s.files.map((f) => `\`${path.basename(f)}\``).join(', ')}`).join('; ');
  return [`# Corpus statistics: ${stats.corpus}`, '', `Files — ${files}`, '', ...statsTables(stats).map(markdownTable), rareTypesLine(stats), ''].join('\n');
}

export function evaluationMarkdown(evaluation: Evaluation, context: EvaluationContext): string {
  const types = context.types ? context.types.join(', ') : 'every type the model predicts';
  return [
    `# Evaluation: ${context.file}`,
    '',
    `Model \`${context.model}\`; scored on ${types}; abbreviation types ${context.abbreviations ? 'on' : 'off'}.`,
    `${evaluation.sentences} sentences, ${evaluation.tokens} tokens; conlleval chunking (an I- after O starts an entity).`,
    '',
    markdownTable(evaluationTable(evaluation)),
  ].join('\n');
}

/** A title, then columns right-aligned after a left-aligned first one, each as wide as its widest cell. */
export function textTable({ title, header, rows }: ReportTable): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return `${title}\n${cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n')}\n`;
}

/** A titled GitHub-flavoured Markdown table; numbers right-aligned. */
export function markdownTable(table: ReportTable): string {
  const escape = (cell: string | number) => String(cell).replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  const numeric = table.header.map((_, i) => table.rows.length > 0 && table.rows.every((row) => isNumeric(row[i])));
  const lines = [
    `## ${table.title}`,
    '',
    `| ${table.header.map(escape).join(' | ')} |`,
    `|${numeric.map((right) => (right ? '---:' : '---')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}
