import { describe, expect, it } from 'vitest';
import { CheckOrigin, PROXY_SECRET_HEADER } from '@/lib/gateway/check-origin';
import { ClientAddressResolver } from '@/lib/gateway/client-address';
import type { GatewayRequest } from '@/lib/gateway/types';

const SECRET = 'a-proxy-secret-long-enough';
const addresses = new ClientAddressResolver(['127.0.0.1/32']);

function check(remoteAddress: string, headers: Record<string, string>, { secretConfigured = true } = {}): CheckOrigin {
  const request: GatewayRequest = { method: 'GET', path: '/api/authenticate', remoteAddress, header: (name) => headers[name.toLowerCase()] };
  return new CheckOrigin(request, addresses, secretConfigured ? SECRET : undefined);
}

describe('where a check comes from', () => {
  it('believes a forwarded client address only from a trusted proxy that proves itself with server.proxy_secret', () => {
    const forwarded = { 'x-forwarded-for': '192.0.2.1', 'x-real-ip': '192.0.2.1' };
    expect(check('127.0.0.1', { ...forwarded, [PROXY_SECRET_HEADER]: SECRET }).clientAddress()).toBe('192.0.2.1');
    // The proxy's other locations pass a client's headers on: without the secret they name nobody.
    expect(check('127.0.0.1', forwarded).clientAddress()).toBe('127.0.0.1');
    expect(check('127.0.0.1', { ...forwarded, [PROXY_SECRET_HEADER]: 'a-guess' }).clientAddress()).toBe('127.0.0.1');
    expect(check('198.51.100.9', { ...forwarded, [PROXY_SECRET_HEADER]: SECRET }).clientAddress()).toBe('198.51.100.9');
    // Without a secret configured, trusted proxies alone decide (as auth-o-tron's setups have it).
    expect(check('127.0.0.1', forwarded, { secretConfigured: false }).clientAddress()).toBe('192.0.2.1');
  });
});
