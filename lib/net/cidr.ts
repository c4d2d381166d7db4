import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** An address or a CIDR range (`192.0.2.0/24`, `2001:db8::/32`, `10.0.0.1`), as config and token restrictions spell them. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export function parseCidr(value: string): Cidr | null {
  const [address = '', prefix, extra] = value.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return null;
  const max = version === 4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return null;
  const bits = prefix === undefined ? max : Number(prefix);
  return bits <= max ? { address, prefix: bits, family: version === 4 ? 'ipv4' : 'ipv6' } : null;
}

/** A config or body field holding one address or range: anything else is refused where it is written, never skipped. */
export const cidrSchema = z
  .string()
  .trim()
  .refine((v) => parseCidr(v) !== null, 'expected an IP address or CIDR range, e.g. 192.0.2.0/24 or 2001:db8::/32');

/**
 * The ranges as one BlockList. Entries are validated where they are written (`cidrSchema`); one that
 * still does not parse (a stored row from an older version) adds nothing, so it can only match less.
 */
export function blockListOf(entries: readonly string[]): BlockList {
  const blocks = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) blocks.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return blocks;
}

/** Whether `address` (an IP literal; anything else is in no range) lies in one of the ranges. */
export function addressIn(blocks: BlockList, address: string | undefined): boolean {
  const version = address === undefined ? 0 : isIP(address);
  return version !== 0 && blocks.check(address as string, version === 4 ? 'ipv4' : 'ipv6');
}
