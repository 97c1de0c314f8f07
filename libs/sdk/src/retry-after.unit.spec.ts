import fc from 'fast-check';
import { MAX_RETRY_AFTER_MS, retryAfterMs, retryDelayMs } from './retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds and an HTTP-date, and nothing else', () => {
    expect(retryAfterMs('2', now)).toBe(2_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    for (const unreadable of [null, undefined, '', 'soon', '-1', '1.5']) {
      expect(retryAfterMs(unreadable, now)).toBeNull();
    }
  });

  it('never asks for more than the cap, however large the header', () => {
    expect(retryAfterMs('99999999999999999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('Fri, 01 Jan 2100 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('retryDelayMs', () => {
  it('waits at least what the server asked, at most 10% more, and never less than half the backoff', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.option(fc.nat({ max: 600 }), { nil: undefined }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (backoff, seconds, random) => {
          const delay = retryDelayMs(backoff, seconds === undefined ? null : String(seconds), () => random);
          expect(delay).toBeGreaterThanOrEqual(backoff / 2);
          if (seconds === undefined) expect(delay).toBeLessThanOrEqual(backoff);
          else {
            const asked = Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
            expect(delay).toBeGreaterThanOrEqual(asked);
            expect(delay).toBeLessThanOrEqual(Math.max(backoff, asked * 1.1));
          }
        },
      ),
    );
  });
});
