import { Batcher } from './batcher';

describe('Batcher', () => {
  it('loads the keys asked for in one turn with one call, each waiter getting its own value', async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, number>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((key) => key !== 'gone').map((key) => [key, key.length]));
    }, -1);
    const answers = await Promise.all(['a', 'bb', 'a', 'gone'].map((key) => batcher.load(key)));
    expect(answers).toEqual([1, 2, 1, -1]);
    expect(calls).toEqual([['a', 'bb', 'gone']]);
    expect(await batcher.load('ccc')).toBe(3);
    expect(calls).toHaveLength(2);
  });

  it('splits a large turn into bounded calls and passes a failure to the waiters of that call only', async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, string>(
      async (keys) => {
        calls.push(keys);
        if (keys.includes(0)) throw new Error('store down');
        return new Map(keys.map((key) => [key, `v${key}`]));
      },
      '',
      2,
    );
    const answers = await Promise.allSettled([0, 1, 2, 3].map((key) => batcher.load(key)));
    expect(calls).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
  });
});
