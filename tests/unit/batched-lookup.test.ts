import { describe, expect, it } from 'vitest';
import { BatchedLookup } from '@/lib/tokens/batched-lookup';

/** A fetch whose statements answer only when the test says so. */
function controlledFetch() {
  const statements: Array<{ keys: string[]; answer: () => void; fail: () => void }> = [];
  const fetch = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      statements.push({ keys, answer: () => resolve(new Map(keys.map((k) => [k, k.length]))), fail: () => reject(new Error('database down')) });
    });
  return { statements, fetch };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('batched lookups', () => {
  it('sends the keys of one turn at once when nothing is out, and each caller gets its own answer', async () => {
    const { statements, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 500, 2);
    const answers = Promise.all([lookup.load('a'), lookup.load('bb'), lookup.load('a')]);
    await turn();
    expect(statements.map((s) => s.keys)).toEqual([['a', 'bb']]);
    statements[0]?.answer();
    expect(await answers).toEqual([1, 2, 1]);
  });

  it('while the most statements are out, later keys wait and leave together as soon as one returns', async () => {
    const { statements, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 500, 2);
    const first = lookup.load('a');
    await turn();
    const second = lookup.load('bb');
    await turn();
    const waiting = [lookup.load('ccc'), lookup.load('dddd')];
    await turn();
    const later = lookup.load('eeeee');
    await turn();
    expect(statements.map((s) => s.keys)).toEqual([['a'], ['bb']]); // two out: the rest wait
    statements[0]?.answer();
    expect(await first).toBe(1);
    await turn();
    expect(statements.map((s) => s.keys)).toEqual([['a'], ['bb'], ['ccc', 'dddd', 'eeeee']]);
    statements[1]?.fail();
    await expect(second).rejects.toThrow('database down');
    statements[2]?.answer();
    expect(await Promise.all([...waiting, later])).toEqual([3, 4, 5]);
  });

  it('splits a batch larger than one statement carries, and a failed statement fails only its own keys', async () => {
    const { statements, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 2, 2);
    const answers = ['a', 'bb', 'ccc', 'dddd', 'eeeee'].map((k) =>
      lookup.load(k).then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    await turn();
    expect(statements.map((s) => s.keys)).toEqual([
      ['a', 'bb'],
      ['ccc', 'dddd'],
    ]);
    statements[0]?.fail();
    await turn();
    expect(statements.map((s) => s.keys)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    statements[1]?.answer();
    statements[2]?.answer();
    expect(await Promise.all(answers)).toEqual(['database down', 'database down', 3, 4, 5]);
  });
});
