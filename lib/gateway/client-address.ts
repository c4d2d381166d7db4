import { isIP } from 'node:net';
import { addressIn, blockListOf } from '../net/cidr';

/** Decides which peer is the client: forwarded headers count only when the direct peer is a trusted proxy. */
export class ClientAddressResolver {
  private readonly trusted;

  /** `trustedProxies`: addresses and CIDR ranges (config `server.trusted_proxies`, validated there). */
  constructor(trustedProxies: readonly string[]) {
    this.trusted = blockListOf(trustedProxies);
  }

  // Proxies are few and checking a BlockList allocates: remember recent verdicts.
  private readonly verdicts = new Map<string, boolean>();

  isTrusted(address: string | undefined): boolean {
    const plain = unmap(address);
    if (!plain) return false;
    const known = this.verdicts.get(plain);
    if (known !== undefined) return known;
    const trusted = addressIn(this.trusted, plain);
    if (this.verdicts.size > 10_000) this.verdicts.clear();
    this.verdicts.set(plain, trusted);
    return trusted;
  }

  resolve(peer: string | undefined, header: (name: string) => string | undefined): string | undefined {
    if (!this.isTrusted(peer)) return unmap(peer);
    const forwarded = (header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => isIP(s) !== 0);
    // The rightmost address not added by one of our proxies is the client.
    const client = forwarded.reverse().find((a) => !this.isTrusted(a)) ?? forwarded.at(-1);
    const realIp = header('x-real-ip')?.trim();
    return client ?? (realIp && isIP(realIp) !== 0 ? realIp : unmap(peer));
  }
}

function unmap(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
