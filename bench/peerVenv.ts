/**
 * A Python venv under build/ holding a peer from PyPI, made on first use: a benchmark peer (spaCy, cleanlab) or a
 * test's reference (Triton's model config, KServe's SDK). Peers are measured or checked against, never shipped, and
 * no dependency of the extension.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

export interface PeerVenv {
  /** The venv's folder. */
  dir: string;
  /** A module whose import proves the venv is ready. */
  module: string;
  /** pip requirement specifiers, pinned. */
  requirements: string[];
  /** What the log calls it, e.g. "spaCy 3.8". */
  name: string;
  /** The interpreter that creates the venv; /usr/bin/python3 when not given. */
  python?: string;
}

export function venvPython(venv: PeerVenv): string {
  return path.join(venv.dir, 'bin', 'python');
}

/** Creates the venv unless it already imports the peer; the reason when that fails (e.g. PyPI unreachable). */
export function installPeer(venv: PeerVenv): string | undefined {
  const python = venvPython(venv);
  if (spawnSync(python, ['-c', `import ${venv.module}`], { stdio: 'ignore' }).status === 0) return undefined;
  console.log(`installing ${venv.name} from PyPI into ${path.relative(ROOT, venv.dir)} (once)`);
  const steps: [string, string[]][] = [
    [venv.python ?? '/usr/bin/python3', ['-m', 'venv', '--clear', venv.dir]],
    // Few retries, so that an offline machine gives up in seconds rather than minutes.
    [python, ['-m', 'pip', 'install', '--quiet', '--retries', '1', '--timeout', '20', ...venv.requirements]],
  ];
  for (const [command, args] of steps) {
    const run = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    if (run.status !== 0) return `${command} ${args.join(' ')} failed: ${run.error?.message ?? run.stderr.trim()}`;
  }
  return undefined;
}

/** Whether an installPeer failure says that PyPI could not be reached (no network), not that the install is broken. */
export function isUnreachable(reason: string): boolean {
  return /NewConnectionError|Network is unreachable|Name or service not known|Temporary failure in name resolution|No route to host|Connection refused|ConnectTimeout|timed out|ProxyError/i.test(reason);
}

/** Runs a peer script in its venv, its output shown; throws when it fails. */
export function runPeerScript(venv: PeerVenv, script: string, ...args: string[]): void {
  const run = spawnSync(venvPython(venv), [script, ...args], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`${script} ${args[0]} failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);
}
