import { describe, expect, it } from 'vitest';
import { errorState } from '@/lib/portal/form-errors';
import { AppError } from '@/lib/errors';
import { capReached, issuanceRateLimited, SlidingWindowLimiter } from '@/lib/tokens/limits';

describe('the per-user creation window', () => {
  const clock = (start = 1_000_000) => {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('allows the configured number in any minute, then says when the oldest leaves the window', () => {
    const time = clock();
    const limiter = new SlidingWindowLimiter(3, time.now);
    expect(limiter.take('alice')).toEqual({ allowed: true });
    time.advance(20_000);
    expect(limiter.take('alice')).toEqual({ allowed: true });
    expect(limiter.take('alice')).toEqual({ allowed: true });
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 40 });
    // Refusals are not counted: the window frees up when the first one leaves it.
    time.advance(39_000);
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time.advance(1_000);
    expect(limiter.take('alice')).toEqual({ allowed: true });
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 20 });
  });

  it('counts each user on their own', () => {
    const limiter = new SlidingWindowLimiter(1, clock().now);
    expect(limiter.take('alice').allowed).toBe(true);
    expect(limiter.take('alice').allowed).toBe(false);
    expect(limiter.take('bob').allowed).toBe(true);
  });

  it('never asks to wait less than a second', () => {
    const time = clock();
    const limiter = new SlidingWindowLimiter(1, time.now);
    limiter.take('alice');
    time.advance(59_999.5);
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('starts afresh after a quiet minute', () => {
    const time = clock();
    const limiter = new SlidingWindowLimiter(2, time.now);
    limiter.take('alice');
    limiter.take('alice');
    time.advance(60_000);
    expect(limiter.take('alice')).toEqual({ allowed: true });
    expect(limiter.take('alice')).toEqual({ allowed: true });
  });
});

describe('limit errors', () => {
  it('a 429 carries whole seconds to wait, at least 1', () => {
    const error = issuanceRateLimited(10, 42);
    expect(error).toMatchObject({ code: 'too_many_requests', status: 429, retryAfter: 42, details: { retry_after: 42 } });
    expect(new AppError('too_many_requests', 'x', { retry_after: 0.2 }).retryAfter).toBe(1);
    expect(new AppError('conflict', 'x').retryAfter).toBeUndefined();
  });

  it('the cap is a 409 naming the key, for the actor or the user an admin acts for', () => {
    expect(capReached(100, 100)).toMatchObject({ code: 'conflict', status: 409, message: 'you have 100 active tokens and at most 100 are allowed (tokens.max_per_user); revoke one first' });
    expect(capReached(3, 3, 'local/bob').message).toBe('local/bob has 3 active tokens and at most 3 are allowed (tokens.max_per_user); revoke one first');
  });
});

describe('portal form actions show the limits as a message', () => {
  const values = { name: ['ci'] };

  it('over the rate: the limit and when to try again', async () => {
    expect(await errorState(issuanceRateLimited(10, 42), values)).toEqual({
      status: 'error',
      code: 'too_many_requests',
      message: 'Too many tokens created or rotated: at most 10 a minute (tokens.creations_per_minute); try again in 42 s.',
      fieldErrors: {},
      values,
    });
  });

  it('at the cap: the limit and what to do', async () => {
    expect(await errorState(capReached(100, 100), values)).toMatchObject({
      status: 'error',
      code: 'conflict',
      message: 'You have 100 active tokens and at most 100 are allowed (tokens.max_per_user); revoke one first.',
      fieldErrors: {},
    });
  });
});
