import fc from 'fast-check';
import { RunlogClient } from './runlog';
import { resolveWorker } from './worker';

describe('the worker label of a process’ batches', () => {
  it('takes the explicit option first, then RANK, then LOCAL_RANK, else none', () => {
    expect(resolveWorker('node-1:gpu-3', { RANK: '5', LOCAL_RANK: '1' })).toBe('node-1:gpu-3');
    expect(resolveWorker(undefined, { RANK: '5', LOCAL_RANK: '1' })).toBe('5');
    expect(resolveWorker(undefined, { LOCAL_RANK: '1' })).toBe('1');
    expect(resolveWorker(undefined, {})).toBeUndefined();
  });

  it('is none with worker: null, even where a launcher set RANK', () => {
    expect(resolveWorker(null, { RANK: '5', LOCAL_RANK: '1' })).toBeUndefined();
  });

  it('passes over a rank variable that is no label (empty, blank, too long, odd characters)', () => {
    for (const rank of ['', '  ', 'x'.repeat(65), 'rank 3', 'três']) {
      expect(resolveWorker(undefined, { RANK: rank, LOCAL_RANK: '2' })).toBe('2');
      expect(resolveWorker(undefined, { RANK: rank })).toBeUndefined();
    }
    expect(resolveWorker(undefined, { RANK: ' 7 ' })).toBe('7');
  });

  it('takes any explicit label of 1–64 label characters and refuses the rest at once', () => {
    const chars = fc.constantFrom(...'Az09_.:-');
    const ok = fc.array(chars, { minLength: 1, maxLength: 64 }).map((c) => c.join(''));
    fc.assert(fc.property(ok, (worker) => expect(resolveWorker(worker, {})).toBe(worker)));
    const tooLong = fc.array(chars, { minLength: 65, maxLength: 100 }).map((c) => c.join(''));
    const odd = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !/^[A-Za-z0-9_.:-]+$/.test(s));
    fc.assert(
      fc.property(fc.oneof(fc.constant(''), tooLong, odd), (worker) =>
        expect(() => resolveWorker(worker, {})).toThrow(TypeError),
      ),
    );
  });

  it('goes on every metric batch of the client, attached runs included; none leaves the field out', async () => {
    const bodies: Record<string, unknown>[] = [];
    const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
      if (new URL(String(input)).pathname.endsWith('/metrics')) {
        bodies.push(JSON.parse(Buffer.from(init?.body as Uint8Array).toString()));
      }
      return new Response(JSON.stringify({ appended: true }), { status: 200 });
    }) as typeof fetch;
    const options = { baseUrl: 'http://runlog', fetch: fetchImpl, compress: false, flushOnExit: false };
    const ranked = new RunlogClient({ ...options, worker: '3' });
    const unlabelled = new RunlogClient({ ...options, worker: null });
    await ranked.attachRun('r1').log({ loss: 1 }, 0);
    await unlabelled.attachRun('r1').log({ loss: 2 }, 0);
    await ranked.close();
    await unlabelled.close();
    expect(bodies.map((body) => body.worker)).toEqual(['3', undefined]);
    expect(bodies[1]).not.toHaveProperty('worker');
  });
});
