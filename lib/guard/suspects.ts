import { LRUCache } from 'lru-cache';

const SUSPECT_TTL_MS = 10 * 60_000;
/** An address refused for this many different users or tokens is a suspect for all of them (one client trying many names). */
const SUBJECTS_PER_ADDRESS = 16;

/**
 * Client addresses that recently had a secret refused, with what they tried it against (a username, a
 * token id; never the secret). A suspect is the pair, not the user: whoever guesses at a user slows
 * down their own later checks for it, never its owner's from another address.
 */
export class Suspects {
  private readonly byAddress = new LRUCache<string, Set<string>>({ max: 20_000, ttl: SUSPECT_TTL_MS });

  mark(address: string, subject: string): void {
    const subjects = this.byAddress.get(address) ?? new Set<string>();
    if (subjects.size < SUBJECTS_PER_ADDRESS) subjects.add(subject);
    this.byAddress.set(address, subjects); // and its time to live starts again
  }

  has(address: string, subject: string): boolean {
    const subjects = this.byAddress.get(address);
    return subjects !== undefined && (subjects.size >= SUBJECTS_PER_ADDRESS || subjects.has(subject));
  }
}
