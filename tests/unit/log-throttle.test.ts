import { describe, expect, it } from 'vitest';
import { LogThrottle } from '@/lib/log/throttle';

describe('LogThrottle', () => {
  it('admits one line per key and window, and counts what it held back', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.admit('a', 0)).toBe(0);
    expect(throttle.admit('a', 10)).toBeUndefined();
    expect(throttle.admit('a', 20)).toBeUndefined();
    expect(throttle.admit('b', 30)).toBe(0);
    expect(throttle.admit('a', 1001)).toBe(2);
  });
});
