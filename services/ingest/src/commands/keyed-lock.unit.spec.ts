import { KeyedLock } from './keyed-lock';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('KeyedLock', () => {
  it('runs the commands of one key one at a time, in arrival order, and those of other keys beside them', async () => {
    const lock = new KeyedLock();
    const trace: string[] = [];
    const step = (key: string, name: string) =>
      lock.run(key, async () => {
        trace.push(`${name} start`);
        await tick();
        trace.push(`${name} end`);
        return name;
      });
    const answers = await Promise.all([step('a', 'a1'), step('a', 'a2'), step('b', 'b1')]);
    expect(answers).toEqual(['a1', 'a2', 'b1']);
    expect(trace.indexOf('a1 end')).toBeLessThan(trace.indexOf('a2 start'));
    expect(trace.indexOf('b1 start')).toBeLessThan(trace.indexOf('a1 end'));
  });

  it('goes on after a command that throws, and forgets a key once idle', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('a', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await lock.run('a', () => Promise.resolve(1))).toBe(1);
    expect((lock as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
