import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Principal } from './principal';
import { localOwner } from './principal';
import {
  createRateLimits,
  RateLimits,
  rateLimitConfigFromEnv,
  rateLimitKey,
  type RateDecision,
} from './rate-limit';

const token = (tokenId: string): Principal => ({
  name: `ci-${tokenId}`,
  kind: 'token',
  tokenId,
  grants: { ml: ['writer'] },
  mayActOnBehalf: false,
});
const jwt = (name: string): Principal => ({
  name,
  kind: 'jwt',
  grants: { ml: ['viewer'] },
  mayActOnBehalf: false,
});
const bootstrap: Principal = {
  name: 'bootstrap',
  kind: 'bootstrap',
  grants: { '*': ['admin'] },
  mayActOnBehalf: true,
};

function limits(requestBurst: number, pointBurst: number, rate = 1): RateLimits {
  return new RateLimits({ requestsPerSecond: rate, requestBurst, pointsPerSecond: rate, pointBurst });
}

function refused(decision: RateDecision): Extract<RateDecision, { allowed: false }> {
  if (decision.allowed) throw new Error('expected a refusal');
  return decision;
}

// Windows never end while a test does not move the clock: what each take sees is exactly what was taken before.
beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

describe('rateLimitKey', () => {
  it('keys API tokens by id and JWTs by name, and never limits the local owner or the bootstrap token', () => {
    expect(rateLimitKey(token('t1'))).toBe('token:t1');
    expect(rateLimitKey(jwt('alice'))).toBe('jwt:alice');
    expect(rateLimitKey(localOwner('me'))).toBeNull();
    expect(rateLimitKey(bootstrap)).toBeNull();
  });
});

describe('RateLimits: requests', () => {
  it('allows a burst, then refuses with 429 and Retry-After until the window ends', async () => {
    const rl = limits(3, 10, 1); // 3 requests every 3 s
    for (let i = 0; i < 3; i += 1) {
      const decision = await rl.takeRequest(token('t1'));
      expect(decision).toMatchObject({ allowed: true, headers: { 'RateLimit-Remaining': String(2 - i) } });
    }
    const over = refused(await rl.takeRequest(token('t1')));
    expect(over).toMatchObject({ status: 429, limit: 'requests', retryAfterSeconds: 3 });
    expect(over.headers).toMatchObject({
      'Retry-After': '3',
      'RateLimit-Limit': '3',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '3',
      'RateLimit-Policy': '"requests";q=3;w=3',
      RateLimit: '"requests";r=0;t=3',
    });
    expect(over.body).toMatchObject({ error: 'rate_limited', field: 'authorization' });
    expect(over.body.message).toMatch(/request rate/);
    jest.advanceTimersByTime(3_001);
    expect((await rl.takeRequest(token('t1'))).allowed).toBe(true);
  });

  it('keys per token: one token over its burst does not refuse another, nor a JWT of the same name', async () => {
    const rl = limits(2, 10);
    await rl.takeRequest(token('t1'));
    await rl.takeRequest(token('t1'));
    expect((await rl.takeRequest(token('t1'))).allowed).toBe(false);
    expect((await rl.takeRequest(token('t2'))).allowed).toBe(true);
    expect((await rl.takeRequest(jwt('ci-t1'))).allowed).toBe(true);
  });

  it('never limits the local owner or the bootstrap token, and sends them no headers', async () => {
    const rl = limits(1, 1);
    for (let i = 0; i < 50; i += 1) {
      expect(await rl.takeRequest(localOwner('me'))).toEqual({ allowed: true, headers: {} });
      expect(await rl.takeRequest(bootstrap)).toEqual({ allowed: true, headers: {} });
      expect(await rl.takePoints(bootstrap, 1_000)).toEqual({ allowed: true, headers: {} });
    }
  });

  it('is off at a rate of 0', async () => {
    const rl = new RateLimits({ requestsPerSecond: 0, requestBurst: 0, pointsPerSecond: 0, pointBurst: 0 });
    for (let i = 0; i < 20; i += 1) expect((await rl.takeRequest(token('t1'))).allowed).toBe(true);
    expect((await rl.takePoints(token('t1'), Number.MAX_SAFE_INTEGER)).allowed).toBe(true);
  });
  it('holds only the principals of the current window: each key is dropped when its window ends', async () => {
    const rl = limits(5, 5, 5); // 1 s windows
    // The library's store, reached into only to prove the bound the fair-use design relies on.
    const stored = () =>
      (rl as unknown as { requests: { limiter: { _memoryStorage: { _storage: Map<string, unknown> } } } })
        .requests.limiter._memoryStorage._storage.size;
    for (let i = 0; i < 1_000; i += 1) await rl.takeRequest(token(`t${i}`));
    expect(stored()).toBe(1_000);
    jest.advanceTimersByTime(1_001);
    expect(stored()).toBe(0);
  });
});

describe('RateLimits: points', () => {
  it('refuses a batch bigger than what remains, without spending it: a smaller one that fits still goes', async () => {
    const rl = limits(100, 1_000, 500); // 1,000 points every 2 s
    expect((await rl.takePoints(token('t1'), 700)).allowed).toBe(true);
    const over = refused(await rl.takePoints(token('t1'), 400));
    expect(over).toMatchObject({ status: 429, limit: 'points', retryAfterSeconds: 2 });
    expect(over.headers).toMatchObject({ 'Retry-After': '2', 'RateLimit-Remaining': '300' });
    expect(over.body.message).toMatch(/400 points.*300 left/);
    expect(await rl.takePoints(token('t1'), 300)).toMatchObject({
      allowed: true,
      headers: { 'RateLimit-Remaining': '0' },
    });
  });

  it('answers 413, not 429, for a batch larger than the whole burst: no wait would let it through', async () => {
    const rl = limits(100, 1_000);
    const tooLarge = refused(await rl.takePoints(token('t1'), 1_001));
    expect(tooLarge).toMatchObject({ status: 413, retryAfterSeconds: null });
    expect(tooLarge.body).toMatchObject({ error: 'payload_too_large', field: 'metrics' });
    expect(tooLarge.headers['Retry-After']).toBeUndefined();
  });

  it('refuses a count that is not a non-negative integer (a caller bug)', async () => {
    const rl = limits(1, 1);
    for (const n of [-1, 1.5, NaN, Infinity])
      await expect(rl.takePoints(token('t1'), n)).rejects.toThrow(RangeError);
  });

  it('at and beyond the edges: 0 takes nothing, the burst fits a fresh window, burst+1 and huge never do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.oneof(fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 1, max: 2 ** 40 })),
        async (burst, rate, huge) => {
          const rl = limits(1, burst, rate);
          const who = token('edge');
          expect(await rl.takePoints(who, 0)).toMatchObject({
            allowed: true,
            headers: { 'RateLimit-Remaining': String(burst) },
          });
          expect(refused(await rl.takePoints(who, burst + 1)).status).toBe(413);
          expect(
            refused(await rl.takePoints(who, Math.min(burst + huge, Number.MAX_SAFE_INTEGER))).status,
          ).toBe(413);
          expect((await rl.takePoints(who, burst)).allowed).toBe(true);
          expect(refused(await rl.takePoints(who, 1)).status).toBe(429);
          expect((await rl.takePoints(who, 0)).allowed).toBe(true);
        },
      ),
    );
  });

  it('within a window, admits a batch exactly when it fits what the admitted ones left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.nat({ max: 12_000 }), { maxLength: 40 }),
        async (burst, batches) => {
          const rl = limits(1, burst);
          let used = 0;
          for (const n of batches) {
            const decision = await rl.takePoints(token('model'), n);
            const fits = used + n <= burst;
            expect(decision.allowed).toBe(fits);
            if (fits) used += n;
            else expect(refused(decision).status).toBe(n > burst ? 413 : 429);
            if (n > 0 || decision.allowed === false) {
              expect(decision.headers['RateLimit-Remaining']).toBe(String(burst - used));
            }
          }
        },
      ),
    );
  });
});

describe('rateLimitConfigFromEnv', () => {
  it('has the documented defaults, reads each variable, and refuses what is not a limit', () => {
    expect(rateLimitConfigFromEnv({})).toEqual({
      requestsPerSecond: 200,
      requestBurst: 400,
      pointsPerSecond: 1_000_000,
      pointBurst: 2_000_000,
    });
    expect(
      rateLimitConfigFromEnv({ RUNLOG_RATE_LIMIT_REQUESTS: '0', RUNLOG_RATE_LIMIT_POINT_BURST: '5' }),
    ).toMatchObject({ requestsPerSecond: 0, pointBurst: 5 });
    expect(() => rateLimitConfigFromEnv({ RUNLOG_RATE_LIMIT_POINTS: '-1' })).toThrow(
      /RUNLOG_RATE_LIMIT_POINTS/,
    );
    expect(() => rateLimitConfigFromEnv({ RUNLOG_RATE_LIMIT_REQUESTS: '1.5' })).toThrow(/integer/);
    expect(() => rateLimitConfigFromEnv({ RUNLOG_RATE_LIMIT_REQUEST_BURST: '0' })).toThrow(
      /RUNLOG_RATE_LIMIT_REQUEST_BURST must be >= 1 while RUNLOG_RATE_LIMIT_REQUESTS/,
    );
  });
});

describe('the middleware, in an express app', () => {
  afterEach(() => jest.useRealTimers());

  it('answers 429 JSON with Retry-After past the burst, with RateLimit headers on the answers it lets through', async () => {
    jest.useRealTimers();
    const { middleware } = createRateLimits({
      requestsPerSecond: 1,
      requestBurst: 2,
      pointsPerSecond: 0,
      pointBurst: 0,
    });
    const app = express();
    app.use((request, _response, next) => {
      (request as { principal?: Principal }).principal =
        request.headers['x-who'] === 'owner' ? localOwner('me') : token(String(request.headers['x-who']));
      next();
    });
    app.use(middleware);
    app.post('/api/v1/runs', (_request, response) => response.status(201).json({ ok: true }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/runs`;
    const post = (who: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'x-who': who, 'content-type': 'application/json' },
        body: '{}',
      });
    try {
      const first = await post('t1');
      expect(first.status).toBe(201);
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      expect(first.headers.get('ratelimit')).toBe('"requests";r=1;t=2');
      expect((await post('t1')).status).toBe(201);
      const over = await post('t1');
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await over.json()).toMatchObject({ error: 'rate_limited', field: 'authorization' });
      expect((await post('t2')).status).toBe(201);
      const owner = await post('owner');
      expect(owner.status).toBe(201);
      expect(owner.headers.get('ratelimit-limit')).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
