import { describe, expect, it } from 'vitest';
import { pathnameOf } from '@/lib/server/node-adapter';

describe('pathnameOf', () => {
  it.each([
    ['/api/authenticate', '/api/authenticate'],
    ['/api/authenticate?x=1', '/api/authenticate'],
    ['/authenticate#frag', '/authenticate'],
    ['/a/../api/authenticate', '/api/authenticate'],
    ['//evil.example/api/authenticate', '/api/authenticate'],
    ['http://host/api/whoami?y', '/api/whoami'],
  ])('%s → %s', (url, expected) => expect(pathnameOf(url)).toBe(expected));
});
