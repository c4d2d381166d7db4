import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import path from 'node:path';
import { stopProcess } from './app';

export interface ProxyProcess {
  /** What the process printed, and its `error.log` in `dir` when it writes one (nginx). */
  log(): string;
  /** Stops it (SIGTERM) and removes `dir`. */
  stop(): Promise<void>;
}

/**
 * A proxy (nginx, Caddy) in the foreground for a test, running from the temporary directory `dir`:
 * ready once `answering()` says so; if it exits or never answers, it is stopped, `dir` removed, and
 * the error carries its output (a port taken meanwhile shows there, for the caller's retry).
 */
export async function runProxy(
  name: string,
  command: string,
  args: string[],
  options: { dir: string; env?: NodeJS.ProcessEnv; answering: () => Promise<boolean>; timeoutMs?: number },
): Promise<ProxyProcess> {
  const { dir, timeoutMs = 10_000 } = options;
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const errorLog = path.join(dir, 'error.log');
  const log = () => `${output}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`;
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await options.answering())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null ? `exited with ${child.exitCode}` : `did not answer in ${timeoutMs / 1000} s`;
      const printed = log();
      await stop();
      throw new Error(`${name} ${why}:\n${printed}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { log, stop };
}

/** Whether a GET of `target` on 127.0.0.1:`port` gets an answer that `accept` likes. */
export function answersOn(port: number, target: { path: string; host?: string }, accept: (response: IncomingMessage) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: target.path, headers: target.host ? { Host: target.host } : {}, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(accept(res));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
