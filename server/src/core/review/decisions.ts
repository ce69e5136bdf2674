/**
 * The review's remembered decisions: a workspace file (`.bioner/review-decisions.json`) of the items a curator
 * accepted or rejected, keyed by what the item is about, so that a rejected item never comes back for the same
 * sentence and gold tags, whichever file or line it moves to.
 */
import { createHash } from 'node:crypto';

export type Decision = 'accepted' | 'rejected';

export interface DecisionRecord {
  decision: Decision;
  /** For a reader of the file: where and what it was. */
  file: string;
  words: string;
  gold: string;
  suggestion: string;
  at: string;
}

export const DECISIONS_FILE = 'review-decisions.json';
const FORMAT_VERSION = 1;

/** The key of a region of a sentence: its words, the sentence's gold tags and the region's word range. */
export function issueKey(words: readonly string[], goldTags: readonly string[], start: number, end: number): string {
  return createHash('sha256').update(JSON.stringify([words, goldTags, start, end])).digest('hex').slice(0, 24);
}

export class ReviewDecisions {
  private constructor(private readonly records: Map<string, DecisionRecord>) {}

  static empty(): ReviewDecisions {
    return new ReviewDecisions(new Map());
  }

  /** Reads the file's text; a file that is not ours is an error that names the problem, never silently replaced. */
  static parse(text: string, source: string): ReviewDecisions {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${source}: not JSON (${(error as Error).message}); fix or delete it to remember review decisions`);
    }
    const decisions = (json as { decisions?: unknown })?.decisions;
    if (typeof decisions !== 'object' || decisions === null || Array.isArray(decisions)) {
      throw new Error(`${source}: no "decisions" object; fix or delete it to remember review decisions`);
    }
    const records = new Map<string, DecisionRecord>();
    for (const [key, record] of Object.entries(decisions)) {
      const decision = (record as Partial<DecisionRecord>)?.decision;
      if (decision !== 'accepted' && decision !== 'rejected') throw new Error(`${source}: decision of "${key}" is neither "accepted" nor "rejected"`);
      records.set(key, record as DecisionRecord);
    }
    return new ReviewDecisions(records);
  }

  isRejected(key: string): boolean {
    return this.records.get(key)?.decision === 'rejected';
  }

  record(key: string, record: DecisionRecord): void {
    this.records.set(key, record);
  }

  get size(): number {
    return this.records.size;
  }

  serialize(): string {
    return JSON.stringify({ version: FORMAT_VERSION, decisions: Object.fromEntries(this.records) }, null, 2) + '\n';
  }
}
