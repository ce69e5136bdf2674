/** Keeps the server running through exceptions and rejections nobody handled: each is logged, none is fatal. */

/** Errors of a closed stdout/stdin: the client is gone, so they cannot be reported to it. */
const STREAM_ERRORS = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export function guardProcess(logToClient: (message: string) => void): void {
  let reporting = false;
  let lastForwarded = '';
  const report = (what: string, reason: unknown) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    const message = `BioNER: ${what} (the server carries on): ${error.stack ?? error.message}`;
    process.stderr.write(`${message}\n`);
    // A failure while reporting a failure must not loop, at once (reporting) or through a rejected send (the same
    // message again).
    if (reporting || message === lastForwarded || STREAM_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) return;
    lastForwarded = message;
    reporting = true;
    try {
      logToClient(message);
    } catch {
      // stderr has it.
    } finally {
      reporting = false;
    }
  };
  process.on('unhandledRejection', (reason) => report('an unhandled promise rejection', reason));
  process.on('uncaughtException', (error) => report('an uncaught exception', error));
}
