/** Messages between the language server and its corpus worker. */
import type { CorpusWideFix, Finding, SpanEdit } from '../checks/finding';
import type { SentenceSplice } from './corpusIndex';
import type { CorpusLocation, EntitySymbol } from './workspace';

export type Question =
  | { kind: 'findings'; uri: string; limit: number }
  | { kind: 'references'; uri: string; line: number }
  | { kind: 'typeAt'; uri: string; line: number; character: number }
  | { kind: 'renameType'; uri: string; from: string; to: string }
  | { kind: 'symbols'; query: string; limit: number }
  | { kind: 'corpusWideEdits'; uri: string; fix: CorpusWideFix };

/** What each question is answered with. */
export interface Answers {
  findings: Finding[];
  references: CorpusLocation[];
  typeAt: { type: string; line: number; start: number; end: number } | undefined;
  renameType: [string, SpanEdit[]][];
  symbols: EntitySymbol[];
  corpusWideEdits: SpanEdit[];
}

export type ToCorpusWorker =
  | { kind: 'open'; uri: string; text: string }
  | { kind: 'edit'; uri: string; splice: SentenceSplice }
  | { kind: 'close'; uri: string }
  | { kind: 'disk'; uri: string }
  | { kind: 'cancelScan' }
  | { kind: 'ask'; id: number; question: Question };

export type FromCorpusWorker =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'scanned'; files: number; sentences: number; ms: number; cancelled: boolean }
  /** Corpora whose findings may have changed (after a scan: all). */
  | { kind: 'changed'; corpora: string[] | 'all' }
  /** An edit did not fit the index: the server sends the file's whole text. */
  | { kind: 'resync'; uri: string }
  | { kind: 'answer'; id: number; result?: unknown; error?: string };
