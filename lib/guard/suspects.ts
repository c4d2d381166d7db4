import { LRUCache } from 'lru-cache';

const SUSPECT_TTL_MS = 10 * 60_000;
/** Subjects remembered per address (the oldest go first): bounds the memory one address can take. */
const SUBJECTS_PER_ADDRESS = 64;

/**
 * Client addresses that recently had a secret refused, with what they tried it against (a username, a
 * token id; never the secret). A suspect is the pair, not the user: whoever guesses at a user slows
 * down their own later checks for it, never its owner's from another address. Nor is an address
 * suspect for everything: without forwarded addresses every client shares the proxy's.
 */
export class Suspects {
  private readonly byAddress = new LRUCache<string, Set<string>>({ max: 20_000, ttl: SUSPECT_TTL_MS });

  mark(address: string, subject: string): void {
    const subjects = this.byAddress.get(address) ?? new Set<string>();
    subjects.delete(subject); // to the newest end
    subjects.add(subject);
    const oldest = subjects.values().next().value;
    if (subjects.size > SUBJECTS_PER_ADDRESS && oldest !== undefined) subjects.delete(oldest);
    this.byAddress.set(address, subjects); // and its time to live starts again
  }

  has(address: string, subject: string): boolean {
    return this.byAddress.get(address)?.has(subject) ?? false;
  }
}
