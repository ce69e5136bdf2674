/** `$/progress` for long model passes and corpus indexing: a cancellable report the client shows while the model runs. */
import type { WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { ClientFeatures } from './clientFeatures';

/** Below this many batches still to run no progress is shown: the pass is over before it would appear. */
const SHOWN_FROM_BATCHES = 4;

export class PassProgress {
  private reporter?: WorkDoneProgressServerReporter;
  private opening = false;
  private ended = false;

  constructor(
    private readonly client: ClientFeatures,
    private readonly title: string,
    /** What `done` and `total` count. */
    unit = 'batches',
  ) {
    this.reportPercent = percentReporter((percentage, message) => this.reporter!.report(percentage, `${this.title}: ${message}`), unit);
  }

  /** Reports go out only when the percentage changes. */
  private readonly reportPercent: (done: number, total: number) => void;

  /** True once the user cancelled the report in the editor. */
  readonly cancelled = (): boolean => this.reporter?.token.isCancellationRequested === true;

  readonly onProgress = (done: number, total: number): void => {
    const percentage = Math.round((100 * done) / total);
    if (!this.reporter && !this.opening && total - done >= SHOWN_FROM_BATCHES) {
      this.opening = true;
      void this.client.createProgress().then((reporter) => {
        if (!reporter) return;
        this.reporter = reporter;
        if (this.ended) reporter.done();
        else reporter.begin('BioNER', percentage, this.title, true);
      });
    }
    if (this.reporter) this.reportPercent(done, total);
  };

  end(): void {
    this.ended = true;
    this.reporter?.done();
  }
}

/**
 * `report` called only when the percentage of `done` changes: one report per batch of 1,024 sub-words was 500
 * messages and 140 ms per 5,000 sentences, on the thread that decodes.
 */
export function percentReporter(report: (percentage: number, message: string) => void, unit = 'batches'): (done: number, total: number) => void {
  let reported = -1;
  return (done, total) => {
    const percentage = Math.round((100 * done) / total);
    if (percentage === reported) return;
    reported = percentage;
    report(percentage, `${done}/${total} ${unit}`);
  };
}

/** Runs a model pass with a progress report that opens only if the pass is long, and always closes. */
export async function withProgress<T>(client: ClientFeatures, uri: string, pass: (progress: PassProgress) => Promise<T>): Promise<T> {
  const progress = new PassProgress(client, `Annotating ${decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1))}`);
  try {
    return await pass(progress);
  } finally {
    progress.end();
  }
}
