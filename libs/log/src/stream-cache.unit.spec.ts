import type { EventEnvelope } from '../../events/src/envelope';
import { StreamCache } from './stream-cache';

const envelope = (id: string) => ({ id, payload: 'x'.repeat(40) }) as unknown as EventEnvelope;
const size = (e: EventEnvelope) => JSON.stringify(e).length;

describe('StreamCache', () => {
  it('serves a prefix of what it holds, and nothing when asked for more', () => {
    const cache = new StreamCache(1_000_000);
    cache.put('s', [envelope('a'), envelope('b')]);
    expect(cache.get('s', 1)?.map((e) => e.id)).toEqual(['a']);
    expect(cache.get('s', 2)?.map((e) => e.id)).toEqual(['a', 'b']);
    expect(cache.get('s', 3)).toBeUndefined();
    expect(cache.get('other', 0)).toBeUndefined();
  });

  it('evicts the least recently used stream when over its bound', () => {
    const one = size(envelope('a'));
    const cache = new StreamCache(one * 64 * 2);
    cache.put('old', [envelope('a')]);
    cache.put('used', [envelope('b')]);
    cache.get('old', 1); // now the most recent
    for (let i = 0; i < 127; i++) cache.put(`s${i}`, [envelope(`c${i}`)]);
    expect(cache.get('used', 1)).toBeUndefined();
  });

  it('never caches a stream larger than a 64th of its bound', () => {
    const cache = new StreamCache(size(envelope('a')) * 64);
    cache.put('big', [envelope('a'), envelope('b')]);
    expect(cache.get('big', 1)).toBeUndefined();
  });

  it('extends a cached stream with appends, and drops it rather than leave a hole', () => {
    const cache = new StreamCache(1_000_000);
    const b = envelope('b');
    cache.extend('s', 0, [{ envelope: envelope('a'), bytes: 50 }]);
    cache.extend('s', 1, [{ envelope: b, bytes: size(b) }]);
    expect(cache.get('s', 2)?.map((e) => e.id)).toEqual(['a', 'b']);
    cache.extend('s', 5, [{ envelope: envelope('f'), bytes: 50 }]);
    expect(cache.get('s', 1)).toBeUndefined();
    // A stream not cached is not started in the middle.
    cache.extend('t', 3, [{ envelope: envelope('d'), bytes: 50 }]);
    expect(cache.get('t', 0)).toBeUndefined();
  });
});
