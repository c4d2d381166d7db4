import { describe, expect, it } from 'vitest';
import { originMatchesHost } from '@/lib/http/same-origin';

describe('originMatchesHost', () => {
  it.each([
    ['http://portal.example.org', 'portal.example.org', true],
    ['https://Portal.Example.org', 'portal.example.org', true],
    ['https://portal.example.org', 'portal.example.org:443', true], // a default port is the same as none
    ['http://portal.example.org:8081', 'portal.example.org:8081', true],
    ['http://[::1]:3000', '[::1]:3000', true],
    ['http://portal.example.org:8081', 'portal.example.org', false], // another port is another origin
    ['http://portal.example.org', 'portal.example.org:8081', false],
    ['http://portal.example.org', 'portal.example.org:443', false],
    ['https://sub.portal.example.org', 'portal.example.org', false],
    ['null', 'portal.example.org', false],
    ['ftp://portal.example.org', 'portal.example.org', false],
    ['http://portal.example.org', 'evil@portal.example.org', false],
    ['http://portal.example.org', 'portal.example.org/x', false],
    ['http://portal.example.org', '', false],
    ['http://portal.example.org', undefined, false],
    ['http://portal.example.org', null, false],
  ])('%s against Host %s → %s', (origin, host, expected) => {
    expect(originMatchesHost(origin, host)).toBe(expected);
  });
});
