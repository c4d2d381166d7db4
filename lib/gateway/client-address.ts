import { BlockList, isIP } from 'node:net';

/** Decides which peer is the client: forwarded headers count only when the direct peer is a trusted proxy. */
export class ClientAddressResolver {
  private readonly trusted = new BlockList();

  constructor(trustedProxies: string[]) {
    for (const entry of trustedProxies) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.trusted.addAddress(address, family);
      else this.trusted.addSubnet(address, Number(prefix), family);
    }
  }

  isTrusted(address: string | undefined): boolean {
    const plain = unmap(address);
    if (!plain || isIP(plain) === 0) return false;
    return this.trusted.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  }

  resolve(peer: string | undefined, header: (name: string) => string | undefined): string | undefined {
    if (!this.isTrusted(peer)) return unmap(peer);
    const forwarded = (header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter((s) => isIP(s) !== 0);
    // The rightmost address not added by one of our proxies is the client.
    const client = forwarded.reverse().find((a) => !this.isTrusted(a)) ?? forwarded.at(-1);
    const realIp = header('x-real-ip')?.trim();
    return client ?? (realIp && isIP(realIp) !== 0 ? realIp : unmap(peer));
  }
}

function unmap(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
