import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat, shouldRestartListener } from '@/lib/listener/heartbeat';

const INTERVAL = 1000;

/** A heartbeat whose beats are delivered back (or not) by the test. */
function harness() {
  const sent: string[] = [];
  const misses: number[] = [];
  const recoveries: number[] = [];
  const sendErrors: unknown[] = [];
  let failSend: Error | undefined;
  const heartbeat = new Heartbeat({
    intervalMs: INTERVAL,
    send: async (payload) => {
      sent.push(payload);
      if (failSend) throw failSend;
    },
    onMiss: (missed, sendError) => {
      misses.push(missed);
      sendErrors.push(sendError);
    },
    onRecovered: (missed) => recoveries.push(missed),
  });
  const deliverLatest = () => heartbeat.received(sent.at(-1) ?? '');
  return { heartbeat, sent, misses, recoveries, sendErrors, deliverLatest, failSending: (error?: Error) => (failSend = error) };
}

describe('listener heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is receiving once its first beat comes back, and start waits for it', async () => {
    const { heartbeat, sent, deliverLatest } = harness();
    let started = false;
    const start = heartbeat.start().then(() => (started = true));
    expect(sent).toHaveLength(1);
    expect(heartbeat.receiving).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toBe(false);
    deliverLatest();
    await start;
    expect(heartbeat.receiving).toBe(true);
    heartbeat.stop();
  });

  it('start gives up after one interval; each interval without a beat is one miss, counted', async () => {
    const { heartbeat, sent, misses } = harness();
    await Promise.all([heartbeat.start(), vi.advanceTimersByTimeAsync(INTERVAL)]);
    expect(heartbeat.receiving).toBe(false);
    expect(misses).toEqual([1]);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(misses).toEqual([1, 2, 3, 4]);
    expect(heartbeat.consecutiveMisses).toBe(4);
    expect(sent).toHaveLength(5); // one beat per interval, never one per check
    heartbeat.stop();
  });

  it('recovers on any recent beat coming back, however late, reporting how many were missed', async () => {
    const { heartbeat, sent, misses, recoveries } = harness();
    void heartbeat.start();
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(misses).toEqual([1, 2]);
    heartbeat.received(sent[0] ?? ''); // the very first beat, two intervals late
    expect(heartbeat.receiving).toBe(true);
    expect(recoveries).toEqual([2]);
    heartbeat.received(sent[1] ?? ''); // older beats no longer count once one came back
    expect(recoveries).toEqual([2]);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(misses).toEqual([1, 2]); // something came back in this interval
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(misses).toEqual([1, 2, 1]); // nothing in the next one: the count starts again
    heartbeat.stop();
  });

  it('ignores payloads it did not send (other processes, resynchronisation signals)', async () => {
    const { heartbeat } = harness();
    void heartbeat.start();
    heartbeat.received('*');
    heartbeat.received('someone-else:1');
    expect(heartbeat.receiving).toBe(false);
    heartbeat.stop();
  });

  it('a lost connection stops it receiving at once; after the reconnect a beat goes out at once and the schedule restarts from it', async () => {
    const { heartbeat, sent, misses, recoveries, deliverLatest } = harness();
    const start = heartbeat.start();
    deliverLatest();
    await start;
    await vi.advanceTimersByTimeAsync(INTERVAL - 100);
    heartbeat.connectionLost();
    expect(heartbeat.receiving).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    heartbeat.beatNow();
    const count = sent.length;
    await vi.advanceTimersByTimeAsync(INTERVAL - 10); // past the old schedule's tick: no miss counted for the new beat
    expect(misses).toEqual([]);
    expect(sent).toHaveLength(count);
    deliverLatest();
    expect(heartbeat.receiving).toBe(true);
    expect(recoveries).toEqual([0]);
    heartbeat.stop();
  });

  it('passes on why the last beat could not be sent', async () => {
    const { heartbeat, misses, sendErrors, failSending } = harness();
    const refused = new Error('connect ECONNREFUSED');
    failSending(refused);
    void heartbeat.start();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(misses).toEqual([1]);
    expect(sendErrors).toEqual([refused]);
    heartbeat.stop();
  });
});

describe('restarting a listener that looks connected but hears nothing', () => {
  it('happens after 2, 4, 8, 16 and 32 misses, then every 32', () => {
    const restarts = Array.from({ length: 200 }, (_, i) => i).filter(shouldRestartListener);
    expect(restarts).toEqual([2, 4, 8, 16, 32, 64, 96, 128, 160, 192]);
  });
});
