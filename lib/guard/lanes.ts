import { availableParallelism } from 'node:os';
import { WorkQueue } from '../crypto/work-queue';

/** Where argon2 runs: one lane for everyone, a narrow one for checks from addresses that guessed wrong. */
export interface Lanes {
  main: WorkQueue;
  narrow: WorkQueue;
}

/**
 * argon2 verifications that may wait for a core before callers get 503 with Retry-After: with
 * password parameters a verification takes tens of milliseconds, so 16 per core bounds the wait near
 * half a second instead of letting it pile up.
 */
const MAIN_QUEUE_PER_CORE = 16;
/**
 * Checks from an address that had a secret refused for the same user or token wait in a line of their
 * own, one at a time and 2 a second at most, whatever they cost (database lookup and argon2): a
 * guessing client gets a sliver of one core, everyone else keeps the machine.
 */
const NARROW_QUEUE_LIMIT = 64;
const NARROW_PER_SECOND = 2;

export function createLanes(cores = availableParallelism()): Lanes {
  return { main: new WorkQueue(cores, MAIN_QUEUE_PER_CORE * cores), narrow: new WorkQueue(1, NARROW_QUEUE_LIMIT, NARROW_PER_SECOND) };
}
