import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * PGlite is an in-process database: a second process opening the same directory works on its own
 * copy, and whatever it writes (a rotated signing key) is lost or overwritten. Whoever opens the
 * directory records itself here; anyone else finding a live owner is refused.
 */
export const LOCK_FILE = 'auth-o-tron.pid';

export interface LockOwner {
  pid: number;
  host: string;
  /** Linux only: boot id and start time of the process, so a reused pid is not taken for the owner. */
  started?: string;
}

export class DatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(`the embedded database ${dataDir} is in use by another process (pid ${owner.pid} on ${owner.host}); PGlite allows one process at a time`);
    this.name = 'DatabaseInUseError';
  }

  get lockFile(): string {
    return path.join(this.dataDir, LOCK_FILE);
  }
}

/** Claims `dataDir` for this process; throws `DatabaseInUseError` while a live process holds it. Returns the release. */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const owner = liveOwner(dataDir);
  if (owner) throw new DatabaseInUseError(dataDir, owner);
  const self: LockOwner = { pid: process.pid, host: hostname(), started: startOf(process.pid) };
  writeFileSync(file, `${JSON.stringify(self)}\n`);
  return () => {
    // Only our own record: a process that took over a stale lock keeps its claim.
    if (readOwner(file)?.pid !== process.pid) return;
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

/** The process holding `dataDir`, if it still runs (and is not this one); a stale record is ignored. */
export function liveOwner(dataDir: string): LockOwner | undefined {
  const owner = readOwner(path.join(dataDir, LOCK_FILE));
  return owner && isRunning(owner) ? owner : undefined;
}

function readOwner(file: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, host, started } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, host: typeof host === 'string' ? host : 'unknown host', started: typeof started === 'string' ? started : undefined };
  } catch {
    return undefined; // half-written or foreign: not a claim anyone can rely on
  }
}

function isRunning(owner: LockOwner): boolean {
  // Our own pid is a previous life of this process slot: a container restarts as PID 1 every time.
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.started === undefined) return true;
  const started = startOf(owner.pid);
  return started === undefined || started === owner.started;
}

/** `<boot id>:<start time in clock ticks>` from /proc; undefined where there is no /proc. */
function startOf(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[19]; // field 22 of proc(5)
    return startTime === undefined ? undefined : `${boot}:${startTime}`;
  } catch {
    return undefined;
  }
}
