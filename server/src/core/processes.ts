/** Other processes, as far as files left behind by them are concerned. */

/** Whether a process with this id runs: one that died before its cleanup left its temporary files behind. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
