/** The CLI's `--output FILE` and `--out DIR`: written beside the target and renamed over it at the end, or stdout without one. */
import { randomBytes } from 'node:crypto';
import { fstatSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

export interface Output {
  write(text: string): Promise<void>;
}

/**
 * Runs `body` with an output: stdout when `file` is undefined, else a temporary file beside `file` that replaces
 * it only once `body` and every write succeeded. On any failure (a full disk, an error in `body`, Ctrl-C) the
 * temporary file is removed, so `file` is either the complete new output or what it was before.
 */
export async function withOutput<T>(file: string | undefined, body: (output: Output) => Promise<T>): Promise<T> {
  if (file === undefined) return body({ write: writeStdout });
  const target = await resolveTarget(file);
  // Only failures of our own writes name the output: an error reading the input passes through as it is.
  const fail = (error: unknown, outcome: string) => Promise.reject(isErrno(error) ? new Error(`cannot write ${file}: ${describeErrno(error)}${outcome}`) : error);
  // A device or FIFO (`--output /dev/stdout`) cannot be replaced by a rename: write to it directly.
  if (!target.regular) {
    const handle = await open(target.path, 'w').catch((error) => fail(error, ''));
    try {
      return await body({ write: (text) => writeAll(handle, text).catch((error) => fail(error, '')) });
    } finally {
      await handle.close();
    }
  }
  const outcome = target.mode === undefined ? `; ${file} was not created` : `; ${file} is unchanged`;
  const temp = path.join(path.dirname(target.path), `.${path.basename(target.path)}.bioner-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  track(temp);
  try {
    handle = await open(temp, 'wx', target.mode ?? 0o666).catch((error) => fail(error, outcome));
    const opened = handle;
    const result = await body({ write: (text) => writeAll(opened, text).catch((error) => fail(error, outcome)) });
    // Data on disk before the rename: after a crash the target is the old file or the whole new one.
    await opened.datasync().catch((error) => fail(error, outcome));
    await opened.close().catch((error) => fail(error, outcome));
    handle = undefined;
    await rename(temp, target.path).catch((error) => fail(error, outcome));
    return result;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  } finally {
    untrack(temp);
  }
}

/**
 * Runs `body` with an empty temporary folder beside `dir` that replaces `dir` only once `body` succeeded, its files on
 * disk. On any failure (a full disk, an error in `body`, Ctrl-C) the temporary folder is removed and `dir` is as it
 * was. An existing folder that holds something is replaced only when `replace` is set.
 */
export async function withOutputFolder<T>(dir: string, replace: boolean, body: (folder: string) => Promise<T>): Promise<T> {
  // Our own steps and the writes into the temporary folder name the output; other errors (reading the input) pass as they are.
  const fail = (error: unknown, outcome: string) => Promise.reject(isErrno(error) ? new Error(`cannot write ${dir}: ${describeErrno(error)}${outcome}`) : error);
  const existing = await stat(dir).catch((error) => (isErrno(error) && error.code === 'ENOENT' ? undefined : fail(error, '')));
  if (existing && !existing.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
  if (existing && !replace && (await readdir(dir).catch((error) => fail(error, ''))).length > 0) throw new Error(`${dir} is not empty; pass --force to replace it`);
  const outcome = existing ? `; ${dir} is unchanged` : `; ${dir} was not created`;
  const sibling = (kind: string) => path.join(path.dirname(path.resolve(dir)), `.${path.basename(path.resolve(dir))}.bioner-${process.pid}-${randomBytes(4).toString('hex')}.${kind}`);
  const temp = sibling('tmp');
  track(temp);
  try {
    await mkdir(temp).catch((error) => fail(error, outcome));
    const result = await body(temp);
    await syncFiles(temp).catch((error) => fail(error, outcome));
    if (existing) {
      // Moved aside, not removed, until the new folder is in place: if that rename fails, the old one goes back. An
      // interrupt in between leaves it as the hidden sibling `.DIR.bioner-….old`, never removed.
      const old = sibling('old');
      await rename(dir, old).catch((error) => fail(error, outcome));
      await rename(temp, dir).catch((error) => rename(old, dir).then(() => fail(error, outcome)));
      await rm(old, { recursive: true, force: true });
    } else await rename(temp, dir).catch((error) => fail(error, outcome));
    return result;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // A write of `body` into the temporary folder (a full disk): said of `dir`, without the temporary path.
    const inTemp = (file: unknown) => typeof file === 'string' && file.startsWith(temp + path.sep);
    if (isErrno(error) && (inTemp(error.path) || inTemp((error as { dest?: unknown }).dest))) return fail(error, outcome);
    throw error;
  } finally {
    untrack(temp);
  }
}

/** Flushes every file under `dir` to disk, so that after a crash the renamed folder holds whole files. */
async function syncFiles(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const handle = await open(path.join(entry.parentPath, entry.name), 'r');
    await handle.datasync().finally(() => handle.close());
  }
}

/** Standard output redirected to a file: Node's stream there ignores a short write, so a full disk would lose
 * the rest silently; written here with the same loop as `--output`. */
let stdoutIsFile: boolean | undefined;

/** Waits for the write (a pipe's reader sets the pace). A closed pipe (EPIPE) never settles: stdout's error
 * handler ends the process with 0, as the reader chose to stop. */
function writeStdout(text: string): Promise<void> {
  stdoutIsFile ??= fstatSync(1).isFile();
  if (stdoutIsFile) {
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let at = 0; at < bytes.length; ) at += writeSync(1, bytes, at);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(new Error(`cannot write standard output: ${describeErrno(error as NodeJS.ErrnoException)}`));
    }
  }
  return new Promise((resolve, reject) =>
    void process.stdout.write(text, (error) => {
      if (!error) resolve();
      else if ((error as NodeJS.ErrnoException).code !== 'EPIPE') reject(new Error(`cannot write standard output: ${describeErrno(error)}`));
    }),
  );
}

/** A short write is not an error (a nearly full disk gives one before ENOSPC): write the rest. */
async function writeAll(handle: FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
}

/** The file a rename must replace (a symlink's target, so the link stays) and the mode to keep. */
async function resolveTarget(file: string): Promise<{ path: string; regular: boolean; mode?: number }> {
  try {
    const real = await realpath(file);
    const info = await stat(real);
    return { path: real, regular: info.isFile(), mode: info.mode & 0o7777 };
  } catch (error) {
    if (isErrno(error) && error.code === 'ENOENT') return { path: file, regular: true };
    throw isErrno(error) ? new Error(`cannot write ${file}: ${describeErrno(error)}`) : error;
  }
}

const isErrno = (error: unknown): error is NodeJS.ErrnoException => error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';

/** "no space left on device (ENOSPC)", without Node's syscall and temporary path. */
export function describeErrno(error: NodeJS.ErrnoException): string {
  const reason = /^[A-Z0-9]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
  return error.code ? `${reason} (${error.code})` : reason;
}

/** Temporary files and folders not yet renamed: an interrupt removes them before the process ends. */
const temps = new Set<string>();

function onInterrupt(signal: NodeJS.Signals): void {
  for (const temp of temps) {
    rmSync(temp, { recursive: true, force: true });
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Temporary files and runs that need onInterrupt: it listens while there is one. */
let interruptUsers = 0;

function retainInterrupt(): void {
  if (interruptUsers++ === 0) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onInterrupt);
}

function releaseInterrupt(): void {
  if (--interruptUsers === 0) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, onInterrupt);
}

function track(temp: string): void {
  temps.add(temp);
  retainInterrupt();
}

function untrack(temp: string): void {
  if (temps.delete(temp)) releaseInterrupt();
}

/**
 * Runs `body`, a run of several outputs, with Ctrl-C (or SIGTERM) handled as within one output even between two of
 * them: the temporary files then open are removed and the process exits with 130 (143).
 */
export async function interruptible<T>(body: () => Promise<T>): Promise<T> {
  retainInterrupt();
  try {
    return await body();
  } finally {
    releaseInterrupt();
  }
}
