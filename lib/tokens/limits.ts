import { LRUCache } from 'lru-cache';
import { AppError, tooManyRequests } from '../errors';

const WINDOW_MS = 60_000;
/** Timestamps kept across every user at most (8 bytes each): the state stays bounded whatever the config says. */
const MAX_TIMESTAMPS = 1_000_000;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * At most `perMinute` events per key in any 60-second window (a sliding-window log: the times of the
 * key's last events). The state is in this process's memory only: each replica counts on its own
 * (n replicas allow up to n × `perMinute`), and a restart forgets it. Keys idle for a minute are
 * dropped; under memory pressure the least recently used key is dropped first and starts afresh.
 */
export class SlidingWindowLimiter {
  private readonly events: LRUCache<string, number[]>;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.events = new LRUCache<string, number[]>({
      maxSize: Math.max(MAX_TIMESTAMPS, perMinute),
      sizeCalculation: (times) => Math.max(1, times.length),
      ttl: WINDOW_MS,
      perf: { now: () => this.now() },
    });
  }

  /** Records an event for `key` if the window has room; otherwise says when the oldest one leaves it (whole seconds, at least 1). */
  take(key: string): RateDecision {
    const now = this.now();
    const times = (this.events.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    if (times.length >= this.perMinute) {
      const oldest = times[0] ?? now;
      this.events.set(key, times, { noUpdateTTL: true });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000)) };
    }
    times.push(now);
    this.events.set(key, times);
    return { allowed: true };
  }
}

/** At `tokens.max_per_user`: `whose` names the owner when it is not the actor (an admin acting for them). */
export function capReached(active: number, max: number, whose?: string): AppError {
  const subject = whose ? `${whose} has` : 'you have';
  return new AppError('conflict', `${subject} ${active} active tokens and at most ${max} are allowed (tokens.max_per_user); revoke one first`, { max_per_user: max, active });
}

/** Over `tokens.creations_per_minute`. */
export function issuanceRateLimited(perMinute: number, retryAfterSeconds: number): AppError {
  return tooManyRequests(`too many tokens created or rotated: at most ${perMinute} a minute (tokens.creations_per_minute); try again in ${retryAfterSeconds} s`, retryAfterSeconds);
}
