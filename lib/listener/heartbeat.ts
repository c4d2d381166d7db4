import { randomBytes } from 'node:crypto';

export interface HeartbeatOptions {
  /** A beat is sent this often, and must be back before the next one is due. */
  intervalMs: number;
  /** Sends one beat; it counts only once `received` is called with the same payload. */
  send(payload: string): Promise<void>;
  /** Each interval whose beat did not come back; `missed` counts consecutive misses. */
  onMiss(missed: number, sendError: unknown): void;
  /** Beats come back again after `missed` misses (or after the connection was lost). */
  onRecovered(missed: number): void;
}

/** Beats sent but not yet back that still count: a slow one proves the path as well as a fast one. */
const PENDING_LIMIT = 16;

/**
 * Proves the notification path end to end: the process sends itself a NOTIFY and expects it back on
 * its listener. A listener can look connected and hear nothing (LISTEN through a transaction-mode
 * pooler), so its connection state alone proves nothing.
 */
export class Heartbeat {
  private readonly id = randomBytes(6).toString('hex');
  private readonly pending = new Set<string>();
  private sequence = 0;
  private awaiting = false;
  private missed = 0;
  private state: 'starting' | 'receiving' | 'missing' = 'starting';
  private sendError: unknown;
  private timer: NodeJS.Timeout | undefined;
  private firstBeat: (() => void) | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  /** True while the latest interval's beat came back. */
  get receiving(): boolean {
    return this.state === 'receiving';
  }

  get consecutiveMisses(): number {
    return this.missed;
  }

  /** Sends the first beat; resolves once it is back, or when its interval ends without it. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.firstBeat = resolve));
    this.beatNow();
    return first;
  }

  /** Sends a beat now and restarts the schedule from it (after a reconnect: prove the new connection at once). */
  beatNow(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    this.beat();
  }

  /** The listener's connection is gone: not receiving, without waiting for the beat to be missed. */
  connectionLost(): void {
    this.state = 'missing';
  }

  /** Every payload the listener receives on the heartbeat channel. */
  received(payload: string): void {
    if (!this.pending.has(payload)) return; // another process's, or a resynchronisation signal
    this.pending.clear();
    this.awaiting = false;
    const before = this.state;
    const missed = this.missed;
    this.missed = 0;
    this.state = 'receiving';
    this.resolveFirst();
    if (before === 'missing') this.options.onRecovered(missed);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.resolveFirst();
  }

  private tick(): void {
    if (this.awaiting) {
      this.missed += 1;
      this.state = 'missing';
      this.options.onMiss(this.missed, this.sendError);
      this.resolveFirst();
    }
    this.beat();
  }

  private beat(): void {
    this.sequence += 1;
    const payload = `${this.id}:${this.sequence}`;
    this.pending.add(payload);
    if (this.pending.size > PENDING_LIMIT) this.pending.delete(this.pending.values().next().value ?? payload);
    this.awaiting = true;
    this.options.send(payload).then(
      () => (this.sendError = undefined),
      (error: unknown) => (this.sendError = error),
    );
  }

  private resolveFirst(): void {
    this.firstBeat?.();
    this.firstBeat = undefined;
  }
}

/**
 * When a listener that says it is connected keeps missing beats, its connection may be dead without
 * the socket knowing (a half-open TCP connection): restart it after 2, 4, 8, 16 and 32 misses, then
 * every 32, so a pooler that never delivers costs an occasional reconnect, not one every interval.
 */
export function shouldRestartListener(missed: number): boolean {
  if (missed < 2) return false;
  if (missed >= 32) return missed % 32 === 0;
  return (missed & (missed - 1)) === 0;
}
