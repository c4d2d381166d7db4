import { describe, expect, it } from 'vitest';
import { CheckOrigin, PROXY_SECRET_HEADER } from '@/lib/gateway/check-origin';
import { ClientAddressResolver } from '@/lib/gateway/client-address';
import type { GatewayRequest } from '@/lib/gateway/types';

const SECRET = 'a-proxy-secret-long-enough';
const addresses = new ClientAddressResolver(['127.0.0.1/32']);

function check(remoteAddress: string, headers: Record<string, string>, { secretConfigured = true, method = 'GET', path = '/api/authenticate' } = {}): CheckOrigin {
  const request: GatewayRequest = { method, path, remoteAddress, header: (name) => headers[name.toLowerCase()] };
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

  describe('the portal session (CSRF)', () => {
    const proxied = { [PROXY_SECRET_HEADER]: SECRET, 'x-original-uri': '/app/x', 'x-original-host': 'portal.example.org' };

    it('needs same-origin proof when the proxy does not name the method (its sub-request is a GET whatever the client sent)', () => {
      expect(check('127.0.0.1', { ...proxied, 'x-original-method': 'GET' }).allowsSession()).toBe(true);
      expect(check('127.0.0.1', proxied).allowsSession()).toBe(false);
      expect(check('127.0.0.1', { ...proxied, 'sec-fetch-site': 'cross-site' }).allowsSession()).toBe(false);
      expect(check('127.0.0.1', { ...proxied, 'sec-fetch-site': 'same-origin' }).allowsSession()).toBe(true);
      expect(check('127.0.0.1', { ...proxied, origin: 'http://portal.example.org' }).allowsSession()).toBe(true);
    });

    it('needs same-origin proof when the original request is not believed (untrusted peer, wrong proxy secret)', () => {
      const named = { 'x-original-uri': '/app/x', 'x-original-method': 'GET', 'x-original-host': 'portal.example.org', host: 'portal.example.org' };
      for (const origin of [check('198.51.100.9', { ...named, [PROXY_SECRET_HEADER]: SECRET }), check('127.0.0.1', { ...named, [PROXY_SECRET_HEADER]: 'a-guess' })]) {
        expect(origin.original()).toBeUndefined();
        expect(origin.allowsSession()).toBe(false);
      }
      expect(check('198.51.100.9', { ...named, 'sec-fetch-site': 'same-origin' }).allowsSession()).toBe(true);
      // Asked directly (no original named), the check is the request: its own method counts.
      expect(check('198.51.100.9', { host: 'portal.example.org' }).allowsSession()).toBe(true);
      expect(check('198.51.100.9', { host: 'portal.example.org' }, { method: 'POST' }).allowsSession()).toBe(false);
    });

    it('takes the method and Host of an Envoy check as the original request (it is)', () => {
      const envoy = { [PROXY_SECRET_HEADER]: SECRET, host: 'portal.example.org' };
      expect(check('127.0.0.1', envoy, { path: '/api/authenticate/app/x' }).allowsSession()).toBe(true);
      expect(check('127.0.0.1', envoy, { path: '/api/authenticate/app/x', method: 'POST' }).allowsSession()).toBe(false);
      expect(check('127.0.0.1', { ...envoy, origin: 'http://portal.example.org' }, { path: '/api/authenticate/app/x', method: 'POST' }).allowsSession()).toBe(true);
    });

    it('compares the Origin with the host including its port', () => {
      const post = { ...proxied, 'x-original-method': 'POST' };
      expect(check('127.0.0.1', { ...post, origin: 'http://portal.example.org:8081' }).allowsSession()).toBe(false);
      expect(check('127.0.0.1', { ...post, origin: 'https://portal.example.org:443' }).allowsSession()).toBe(true);
      expect(check('127.0.0.1', { ...post, 'x-original-host': 'portal.example.org:8081', origin: 'http://portal.example.org:8081' }).allowsSession()).toBe(true);
      expect(check('127.0.0.1', { ...post, 'x-original-host': 'portal.example.org:8081', origin: 'http://portal.example.org' }).allowsSession()).toBe(false);
      expect(check('198.51.100.9', { host: 'portal.example.org', origin: 'http://portal.example.org:8081' }, { method: 'POST' }).allowsSession()).toBe(false);
      expect(check('198.51.100.9', { host: 'portal.example.org:8081', origin: 'http://portal.example.org:8081' }, { method: 'POST' }).allowsSession()).toBe(true);
    });
  });
});
