/** The progress of `bioner annotate … --out DIR` on stderr while it runs, and its summary line at the end. */
import { describeErrno } from './output';

/** An input file, by its size: the remaining time is estimated from the bytes left. */
interface Sized {
  bytes: number;
}

/** What the run has done, shown while it goes (on a terminal redrawn in place, else a line every 10 s) and at its end. */
export class CorpusProgress {
  private readonly began = performance.now();
  private readonly terminal = process.stderr.isTTY === true;
  private timer?: NodeJS.Timeout;
  /** The progress line on the terminal now ('' when none). */
  private shown = '';
  private files = 0;
  private filesDone = 0;
  private filesAnnotated = 0;
  private filesSkipped = 0;
  private bytesTotal = 0;
  /** Bytes of the files done, annotated or skipped, and of the current one so far. */
  private bytesDone = 0;
  /** Of those, the bytes the model went through: the pace the remaining time is estimated from. */
  private bytesAnnotated = 0;
  private fileStart = 0;
  private current?: Sized;
  outputsSkipped = 0;
  documents = 0;
  sentences = 0;
  words = 0;
  badLines = 0;
  unreadable = 0;

  constructor(private readonly out: string) {}

  start(sources: readonly Sized[]): void {
    this.files = sources.length;
    this.bytesTotal = sources.reduce((sum, s) => sum + s.bytes, 0);
    this.timer = setInterval(() => this.show(), this.terminal ? 500 : 10_000).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.clearLine();
  }

  beginFile(source: Sized): void {
    this.current = source;
    this.fileStart = this.bytesDone;
  }

  /** The file is done: annotated (at least one output written), kept (every output there already) or unreadable. */
  endFile(outcome: 'annotated' | 'kept' | 'unreadable'): void {
    if (outcome === 'annotated') this.filesAnnotated++;
    else if (outcome === 'kept') this.filesSkipped++;
    this.filesDone++;
    // Byte counts along a file are estimates (sentences done, line lengths): settled at its size.
    this.bytesDone = this.fileStart + (this.current?.bytes ?? 0);
  }

  annotated(done: { documents: number; sentences: number; words: number; bytes: number }): void {
    this.documents += done.documents;
    this.sentences += done.sentences;
    this.words += done.words;
    this.bytesDone += done.bytes;
    this.bytesAnnotated += done.bytes;
  }

  skippedBytes(bytes: number): void {
    this.bytesDone += bytes;
  }

  badLine(message: string): void {
    this.badLines++;
    this.note(message);
  }

  cannotRead(file: string, error: NodeJS.ErrnoException): void {
    this.unreadable++;
    this.note(`bioner: cannot read ${file}: ${describeErrno(error)}; skipped`);
  }

  summary(): string {
    const seconds = this.seconds();
    const problems = ([[this.badLines, 'bad line'], [this.unreadable, 'unreadable file']] as const).filter(([n]) => n > 0).map(([n, noun]) => plural(n, noun));
    return (
      `bioner: annotated ${plural(this.filesAnnotated, 'file')}, skipped ${this.filesSkipped} (${plural(this.outputsSkipped, 'output')} already in ${this.out}); ` +
      `${plural(this.documents, 'document')}, ${plural(this.sentences, 'sentence')}, ${plural(this.words, 'word')} in ${duration(seconds)}, ` +
      `${count(Math.round(this.words / seconds))} words/s` +
      (problems.length > 0 ? `; ${problems.join(' and ')} skipped` : '')
    );
  }

  private seconds(): number {
    return (performance.now() - this.began) / 1000;
  }

  private line(): string {
    const seconds = this.seconds();
    const pace = this.bytesAnnotated / seconds;
    const eta = pace > 0 ? `, ETA ${duration((this.bytesTotal - this.bytesDone) / pace)}` : '';
    return (
      `annotate: ${this.filesDone}/${this.files} files, ${count(this.documents)} documents, ${count(this.sentences)} sentences, ` +
      `${count(Math.round(this.words / seconds))} words/s${eta}`
    );
  }

  private show(): void {
    const line = this.line();
    if (!this.terminal) return void process.stderr.write(line + '\n');
    process.stderr.write('\r' + line.padEnd(this.shown.length));
    this.shown = line;
  }

  /** A message on a line of its own, the progress line (if shown) cleared first. */
  private note(message: string): void {
    this.clearLine();
    process.stderr.write(message + '\n');
  }

  private clearLine(): void {
    if (this.shown) process.stderr.write('\r' + ' '.repeat(this.shown.length) + '\r');
    this.shown = '';
  }
}

const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, noun: string) => `${count(n)} ${noun}${n === 1 ? '' : 's'}`;

/** "12.3 s", "4 min 05 s", "2 h 10 min". */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
