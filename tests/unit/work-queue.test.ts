import { describe, expect, it } from 'vitest';
import { WorkQueue } from '@/lib/crypto/work-queue';

describe('WorkQueue', () => {
  it('runs at most `concurrency` tasks at once, queues a bounded number, and refuses the rest', async () => {
    const queue = new WorkQueue(2, 3);
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    let running = 0;
    let peak = 0;
    const finishers: Array<() => void> = [];
    const task = () =>
      queue.run(
        () =>
          new Promise<string>((resolve) => {
            running += 1;
            peak = Math.max(peak, running);
            finishers.push(() => {
              running -= 1;
              resolve('done');
            });
          }),
      );
    const accepted = Array.from({ length: 5 }, task); // 2 running + 3 queued
    await tick();
    expect(running).toBe(2);
    await expect(task()).rejects.toMatchObject({ name: 'AppError', code: 'unavailable' });
    for (let finished = 0; finished < 5; finished++) {
      while (finishers.length === 0) await tick();
      finishers.shift()?.();
    }
    expect(await Promise.all(accepted)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(peak).toBe(2);
  });

  it('frees the slot when a task throws', async () => {
    const queue = new WorkQueue(1, 0);
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 42)).toBe(42);
  });

  it('starts at most `perSecond` tasks a second: a few wait for the next slot, the rest are refused', async () => {
    const queue = new WorkQueue(10, 1, 3);
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => queue.run(async () => 'ran')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(4); // 3 at once, 1 after waiting
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
  });

  it('serves the share served least recently first: a newcomer waits for the running task, never behind a flood', async () => {
    const queue = new WorkQueue(1, 100);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const blocker = queue.run(() => new Promise<void>((resolve) => (release = resolve)), 'flood');
    const flood = Array.from({ length: 10 }, (_, i) => queue.run(async () => void order.push(`flood-${i}`), 'flood'));
    const owner = queue.run(async () => void order.push('owner'), 'owner');
    release();
    await Promise.all([blocker, owner, ...flood]);
    expect(order.indexOf('owner')).toBe(0); // the flood's share had a turn (the running task), the owner none
    expect(order.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `flood-${i}`));
  });

  it('takes turns between shares that keep waiting', async () => {
    const queue = new WorkQueue(1, 100);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const blocker = queue.run(() => new Promise<void>((resolve) => (release = resolve)), 'x');
    const tasks = ['a', 'b'].flatMap((share) => Array.from({ length: 3 }, (_, i) => queue.run(async () => void order.push(`${share}${i}`), share)));
    release();
    await Promise.all([blocker, ...tasks]);
    expect(order).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  it('makes room for a newcomer when full by refusing the newest task of the longest share', async () => {
    const queue = new WorkQueue(1, 3);
    let release: () => void = () => undefined;
    const blocker = queue.run(() => new Promise<void>((resolve) => (release = resolve)), 'flood');
    const flood = Array.from({ length: 3 }, (_, i) => queue.run(async () => `flood-${i}`, 'flood'));
    const refusedFlood = queue.run(async () => 'flood-3', 'flood'); // its own share is the longest: refused
    const owner = queue.run(async () => 'owner', 'owner'); // takes the place of flood-2
    release();
    await blocker;
    const results = await Promise.allSettled([...flood, refusedFlood, owner]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'refused'))).toEqual(['flood-0', 'flood-1', 'refused', 'refused', 'owner']);
  });
});
