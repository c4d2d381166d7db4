import { describe, expect, it } from 'vitest';
import { isEnvoyCheck } from '@/lib/gateway/http';
import { pathRefusal, readOriginalRequest, unknownPart } from '@/lib/gateway/original-request';
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
      authority: 'a.example:8443',
      path: { ok: true, path: '/a' },
      via: 'nginx',
    });
    expect(readOriginalRequest(request('/api/authenticate', { 'x-original-url': 'https://b.example/b/../c?x', 'x-original-method': 'POST' }))).toEqual({
      method: 'POST',
      host: 'b.example',
      authority: 'b.example',
      path: { ok: true, path: '/c' },
      via: 'ingress-nginx',
    });
    expect(readOriginalRequest(request('/api/authenticate', { 'x-forwarded-uri': '/d', 'x-forwarded-method': 'DELETE', 'x-forwarded-host': 'c.example' }))).toEqual({
      method: 'DELETE',
      host: 'c.example',
      authority: 'c.example',
      path: { ok: true, path: '/d' },
      via: 'forwarded',
    });
    // Envoy: `path_prefix` + the original path and query, the request's own method and Host.
    expect(readOriginalRequest(request('/api/authenticate/v1/x', { host: 'API.example.org:443' }, 'PATCH', '/api/authenticate/v1/x?y=/admin'))).toEqual({
      method: 'PATCH',
      host: 'api.example.org',
      authority: 'api.example.org:443',
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
    const original = readOriginalRequest(request('/api/authenticate', { 'x-original-url': url }));
    expect(original).toMatchObject({ path: { ok: false, unknown: true }, via: 'ingress-nginx' });
    expect(original?.path.ok === false && pathRefusal(original.path)).toMatch(/^original request unknown: X-Original-URL is not an absolute/);
  });

  it('refuses an undecodable path as refused, not unknown', () => {
    const original = readOriginalRequest(request('/api/authenticate', { 'x-original-uri': '/admin/%ff' }));
    expect(original?.path.ok === false && pathRefusal(original.path)).toMatch(/^original request refused: /);
  });

  // nginx's auth sub-request is a GET whatever the client sent: its own method is never the original's.
  it.each([
    ['nginx', { 'x-original-uri': '/a' }, 'X-Original-Method', 'X-Original-Host'],
    ['nginx', { 'x-original-uri': '/a', 'x-original-method': ' ', 'x-original-host': '' }, 'X-Original-Method', 'X-Original-Host'],
    ['forwarded', { 'x-forwarded-uri': '/a' }, 'X-Forwarded-Method', 'X-Forwarded-Host'],
  ])('leaves a method and host the %s headers do not name unknown', (via, headers, methodHeader, hostHeader) => {
    const original = readOriginalRequest(request('/api/authenticate', headers, 'POST'))!;
    expect(original).toMatchObject({ method: undefined, host: undefined, authority: undefined, path: { ok: true, path: '/a' }, via });
    expect(unknownPart(original, 'method')).toMatch(new RegExp(`^original request unknown: no ${methodHeader}`));
    expect(unknownPart(original, 'host')).toMatch(new RegExp(`^original request unknown: no ${hostHeader}`));
  });

  it('leaves the method unknown for X-Original-URL without X-Original-Method, and takes the host from the URL', () => {
    expect(readOriginalRequest(request('/api/authenticate', { 'x-original-url': 'http://h.example:8080/p' }, 'POST'))).toMatchObject({
      method: undefined,
      host: 'h.example',
      authority: 'h.example:8080',
      via: 'ingress-nginx',
    });
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
