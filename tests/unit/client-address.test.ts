import { describe, expect, it } from 'vitest';
import { ClientAddressResolver } from '@/lib/gateway/client-address';

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('the client address', () => {
  const resolver = new ClientAddressResolver(['10.0.0.0/8', '::1', '192.0.2.7']);

  it('is the peer itself unless the peer is a trusted proxy (ranges, single addresses, IPv4-mapped peers)', () => {
    const forged = headers({ 'x-forwarded-for': '203.0.113.9' });
    expect(resolver.resolve('198.51.100.1', forged)).toBe('198.51.100.1');
    expect(resolver.resolve('10.1.2.3', forged)).toBe('203.0.113.9');
    expect(resolver.resolve('::ffff:10.1.2.3', forged)).toBe('203.0.113.9');
    expect(resolver.resolve('::1', forged)).toBe('203.0.113.9');
    expect(resolver.resolve('192.0.2.7', forged)).toBe('203.0.113.9');
    expect(resolver.resolve('192.0.2.8', forged)).toBe('192.0.2.8');
  });

  it('is the rightmost forwarded address not one of our proxies: a client cannot prepend its way in', () => {
    expect(resolver.resolve('10.0.0.1', headers({ 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.0.0.5' }))).toBe('203.0.113.9');
    expect(resolver.resolve('10.0.0.1', headers({ 'x-forwarded-for': 'not-an-ip, 203.0.113.9' }))).toBe('203.0.113.9');
  });

  it('trusts nobody for an entry that is not an address or range (config validation refuses one anyway)', () => {
    const odd = new ClientAddressResolver(['localhost', '10.0.0.0/abc']);
    expect(odd.resolve('127.0.0.1', headers({ 'x-forwarded-for': '203.0.113.9' }))).toBe('127.0.0.1');
    expect(odd.resolve('10.0.0.1', headers({ 'x-forwarded-for': '203.0.113.9' }))).toBe('10.0.0.1');
  });
});
