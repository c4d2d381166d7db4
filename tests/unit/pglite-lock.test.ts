import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseInUseError, LOCK_FILE, liveOwner, lockDataDir } from '@/db/pglite-lock';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-lock-'));
  dirs.push(dir);
  return dir;
}

/** Another process that keeps running until the test ends, and its lock record. */
function otherProcess(): ChildProcess & { pid: number } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  if (child.pid === undefined) throw new Error('spawn failed');
  return child as ChildProcess & { pid: number };
}

function procStart(pid: number): string {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `${boot}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

const record = (dir: string, owner: object) => writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(owner));

describe('the PGlite data directory lock', () => {
  it('records this process and removes the record on release', () => {
    const dir = dataDir();
    const release = lockDataDir(dir);
    const owner = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as { pid: number; started?: string };
    expect(owner.pid).toBe(process.pid);
    if (existsSync('/proc/self/stat')) expect(owner.started).toBe(procStart(process.pid));
    release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses while another live process holds the directory, naming it and the file', () => {
    const dir = dataDir();
    const other = otherProcess();
    record(dir, { pid: other.pid, host: 'here', ...(existsSync('/proc/self/stat') ? { started: procStart(other.pid) } : {}) });
    expect(liveOwner(dir)?.pid).toBe(other.pid);
    let refused: unknown;
    try {
      lockDataDir(dir);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DatabaseInUseError);
    expect((refused as DatabaseInUseError).lockFile).toBe(path.join(dir, LOCK_FILE));
    expect((refused as DatabaseInUseError).message).toContain(`pid ${other.pid} on here`);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: other.pid });
  });

  it('takes over the record of a process that has exited', () => {
    const dir = dataDir();
    record(dir, { pid: spawnSync(process.execPath, ['-e', '']).pid, host: 'here' });
    expect(liveOwner(dir)).toBeUndefined();
    lockDataDir(dir)();
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over when the pid now belongs to a process started later (pid reuse)', () => {
    const dir = dataDir();
    const other = otherProcess();
    record(dir, { pid: other.pid, host: 'here', started: `${procStart(other.pid)}0` });
    expect(liveOwner(dir)).toBeUndefined();
  });

  it("takes over a record of its own pid: a container's server is PID 1 after every restart", () => {
    const dir = dataDir();
    record(dir, { pid: process.pid, host: 'previous-container', started: 'another-boot:1' });
    expect(liveOwner(dir)).toBeUndefined();
    lockDataDir(dir)();
  });

  it('ignores a record it cannot read', () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, LOCK_FILE), '{"pid": ');
    expect(liveOwner(dir)).toBeUndefined();
  });

  it("leaves another process's record alone on release", () => {
    const dir = dataDir();
    const release = lockDataDir(dir);
    const other = otherProcess();
    record(dir, { pid: other.pid, host: 'here' });
    release();
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: other.pid });
  });
});
