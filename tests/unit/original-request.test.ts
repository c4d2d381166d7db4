import { describe, expect, it } from 'vitest';
import { isEnvoyCheck } from '@/lib/gateway/http';
import { readOriginalRequest } from '@/lib/gateway/original-request';
import type { GatewayRequest } from '@/lib/gateway/types';

const request = (path: string, headers: Record<string, string> = {}, method = 'GET', target?: string): GatewayRequest => ({
  method,
  path,
  target,
  header: (name) => headers[name],
});

describe('readOriginalRequest (DESIGN.md, "Behind every forward-auth proxy")', () => {
  it('reads each proxy header set', () => {
    expect(readOriginalRequest(request('/api/authenticate', { 'x-original-uri': '/a?q', 'x-original-method': 'PUT', 'x-original-host': 'A.example:8443' }))).toEqual({
      method: 'PUT',
      host: 'a.example',
      path: { ok: true, path: '/a' },
      via: 'nginx',
    });
    expect(readOriginalRequest(request('/api/authenticate', { 'x-original-url': 'https://b.example/b/../c?x', 'x-original-method': 'POST' }))).toEqual({
      method: 'POST',
      host: 'b.example',
      path: { ok: true, path: '/c' },
      via: 'ingress-nginx',
    });
    expect(readOriginalRequest(request('/api/authenticate', { 'x-forwarded-uri': '/d', 'x-forwarded-method': 'DELETE', 'x-forwarded-host': 'c.example' }))).toEqual({
      method: 'DELETE',
      host: 'c.example',
      path: { ok: true, path: '/d' },
      via: 'forwarded',
    });
    // Envoy: `path_prefix` + the original path and query, the request's own method and Host.
    expect(readOriginalRequest(request('/api/authenticate/v1/x', { host: 'API.example.org:443' }, 'PATCH', '/api/authenticate/v1/x?y=/admin'))).toEqual({
      method: 'PATCH',
      host: 'api.example.org',
      path: { ok: true, path: '/v1/x' },
      via: 'envoy',
    });
    expect(readOriginalRequest(request('/api/authenticate/', {}, 'GET', '/api/authenticate/'))).toMatchObject({ path: { ok: true, path: '/' }, via: 'envoy' });
  });

  it('takes the first set present, in the order of the table', () => {
    const all = { 'x-original-uri': '/nginx', 'x-original-url': 'http://h/ingress', 'x-forwarded-uri': '/forwarded' };
    expect(readOriginalRequest(request('/api/authenticate/envoy', all))).toMatchObject({ path: { path: '/nginx' }, via: 'nginx' });
    const { 'x-original-uri': _nginx, ...rest } = all;
    expect(readOriginalRequest(request('/api/authenticate/envoy', rest))).toMatchObject({ path: { path: '/ingress' }, via: 'ingress-nginx' });
    expect(readOriginalRequest(request('/api/authenticate/envoy', { 'x-forwarded-uri': '/forwarded' }))).toMatchObject({ path: { path: '/forwarded' }, via: 'forwarded' });
    expect(readOriginalRequest(request('/api/authenticate/envoy'))).toMatchObject({ path: { path: '/envoy' }, via: 'envoy' });
    expect(readOriginalRequest(request('/api/authenticate'))).toBeUndefined();
  });

  it('reads the Envoy path from the target as received, never from a normalised one', () => {
    // The node adapter normalises `/api/authenticate/../admin` to `/api/admin` for routing.
    expect(readOriginalRequest(request('/api/admin', {}, 'GET', '/api/authenticate/../admin'))).toMatchObject({
      path: { ok: false, reason: expect.stringContaining('climbs above the root') },
      via: 'envoy',
    });
    expect(readOriginalRequest(request('/api/authenticate/admin', {}, 'GET', '/x/../api/authenticate/admin'))).toBeUndefined();
    expect(readOriginalRequest(request('/api/authenticate/%2e%2e/admin', {}, 'GET', '/api/authenticate/%2e%2e/admin'))).toMatchObject({ path: { ok: false } });
    expect(readOriginalRequest(request('/api/authenticate//admin', {}, 'GET', '/api/authenticate//admin'))).toMatchObject({ path: { ok: true, path: '/admin' } });
  });

  it.each(['/admin/x', 'api.example.org/admin', 'https:///admin', 'http://:80/admin', 'ftp://api.example.org/x', ''])('names no usable request for X-Original-URL %j', (url) => {
    expect(readOriginalRequest(request('/api/authenticate', { 'x-original-url': url }))).toMatchObject({ path: { ok: false }, via: 'ingress-nginx' });
  });
});

describe('isEnvoyCheck', () => {
  it.each([
    ['/api/authenticate/x', '/api/authenticate/x', true],
    ['/api/health', '/api/authenticate/../health', true], // a normalised target must not reach another route
    ['/api/authenticate/x', '/y/../api/authenticate/x', true],
    ['/api/authenticate', '/api/authenticate', false],
    ['/api/authenticatex', '/api/authenticatex', false],
    ['/authenticate/x', '/authenticate/x', false],
  ])('%s (sent as %s) → %s', (path, target, expected) => {
    expect(isEnvoyCheck(request(path, {}, 'GET', target))).toBe(expected);
  });
});
