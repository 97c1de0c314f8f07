import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RequestHandler } from 'express';
import type { Principal } from './principal';
import { rateLimitMiddleware } from './rate-limit.middleware';

/**
 * Fair use: per principal, requests per second and metric points per second, each with a burst; 0 turns a limit
 * off. Per process: N ingest processes behind a balancer allow up to N× the rate (documented in the README).
 */
export interface RateLimitConfig {
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  readonly pointsPerSecond: number;
  readonly pointBurst: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  requestsPerSecond: 200,
  requestBurst: 400,
  pointsPerSecond: 1_000_000,
  pointBurst: 2_000_000,
};

export type RateLimitName = 'requests' | 'points';

/** Header name → value, to set on the answer (see `applyRateDecision` for which are appended). */
export type RateHeaders = Readonly<Record<string, string>>;

/**
 * What a limit said. Refused: 429 with `retryAfterSeconds` (also in the headers as Retry-After); or 413 for a batch
 * larger than the whole burst, which no wait would let through, so the client must split it rather than retry.
 */
export type RateDecision =
  | { readonly allowed: true; readonly headers: RateHeaders }
  | {
      readonly allowed: false;
      readonly status: 429 | 413;
      readonly limit: RateLimitName;
      /** null for 413: waiting does not help. */
      readonly retryAfterSeconds: number | null;
      readonly headers: RateHeaders;
      /** The JSON body to answer with. */
      readonly body: { readonly error: string; readonly message: string; readonly field: string };
    };

/** Who is limited, and under which key; local and bootstrap principals (the owner, the operator) never are. */
export function rateLimitKey(principal: Principal): string | null {
  if (principal.kind === 'token' && principal.tokenId !== undefined) return `token:${principal.tokenId}`;
  if (principal.kind === 'jwt') return `jwt:${principal.name}`;
  return null;
}

/**
 * One limit over rate-limiter-flexible's in-memory counter: a fixed window of `burst` units every `burst / rate`
 * seconds, so the average is the rate and a burst may be spent at once. Chosen over a hand-written token bucket for
 * a well-kept, tested library; the price is that a client straddling a window's edge may spend up to 2× the burst in
 * a moment, which is still bounded. Memory stays bounded: each key's record is dropped by an unref'd timer when its
 * window ends, so the map holds only the principals seen in the last window.
 */
class WindowLimit {
  private readonly limiter: RateLimiterMemory;
  readonly windowSeconds: number;

  constructor(
    readonly name: RateLimitName,
    readonly burst: number,
    perSecond: number,
  ) {
    this.windowSeconds = burst / perSecond;
    this.limiter = new RateLimiterMemory({ points: burst, duration: this.windowSeconds, keyPrefix: name });
  }

  /** Takes `n` units; a refused take is given back (a refused batch wrote nothing, so it must not cost the next). */
  async take(key: string, n: number, giveBackRefused: boolean): Promise<{ ok: boolean; state: WindowState }> {
    try {
      return { ok: true, state: this.stateOf(await this.limiter.consume(key, n)) };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const after = giveBackRefused ? await this.limiter.reward(key, n) : refusal;
      return { ok: false, state: this.stateOf(after) };
    }
  }

  async peek(key: string): Promise<WindowState> {
    const state = await this.limiter.get(key);
    return state ? this.stateOf(state) : { remaining: this.burst, resetSeconds: 0 };
  }

  headers(state: WindowState): Record<string, string> {
    return {
      'RateLimit-Limit': String(this.burst),
      'RateLimit-Remaining': String(state.remaining),
      'RateLimit-Reset': String(state.resetSeconds),
      'RateLimit-Policy': `"${this.name}";q=${this.burst};w=${Math.max(1, Math.ceil(this.windowSeconds))}`,
      RateLimit: `"${this.name}";r=${state.remaining};t=${state.resetSeconds}`,
    };
  }

  private stateOf(result: RateLimiterRes): WindowState {
    return {
      remaining: Math.max(0, this.burst - result.consumedPoints),
      resetSeconds: Math.max(0, Math.ceil(result.msBeforeNext / 1000)),
    };
  }
}

interface WindowState {
  remaining: number;
  resetSeconds: number;
}

function refusal(
  limit: WindowLimit,
  state: WindowState,
  message: string,
): Extract<RateDecision, { allowed: false }> {
  // A window that has just ended still says 0 s: the client must wait at least a moment.
  const retryAfterSeconds = Math.max(1, state.resetSeconds);
  return {
    allowed: false,
    status: 429,
    limit: limit.name,
    retryAfterSeconds,
    headers: { ...limit.headers(state), 'Retry-After': String(retryAfterSeconds) },
    body: { error: 'rate_limited', message, field: 'authorization' },
  };
}

/**
 * The limits of one process. Headers: `Retry-After` on a 429, and the IETF RateLimit headers on every answer of a
 * limited principal. Both forms are sent: `RateLimit-Limit` / `-Remaining` / `-Reset` (draft-ietf-httpapi-
 * ratelimit-headers up to -06, what client libraries and gateways implement today) and the current drafts' (-07 on,
 * -11 as of 2026) structured `RateLimit-Policy: "requests";q=400;w=2` and `RateLimit: "requests";r=399;t=2`, which
 * can name both limits on one answer and are where the standard is going.
 */
export class RateLimits {
  private readonly requests: WindowLimit | null;
  private readonly points: WindowLimit | null;

  constructor(readonly config: RateLimitConfig) {
    validate(config);
    this.requests =
      config.requestsPerSecond > 0
        ? new WindowLimit('requests', config.requestBurst, config.requestsPerSecond)
        : null;
    this.points =
      config.pointsPerSecond > 0
        ? new WindowLimit('points', config.pointBurst, config.pointsPerSecond)
        : null;
  }

  /** One request of the principal. */
  async takeRequest(principal: Principal): Promise<RateDecision> {
    const key = rateLimitKey(principal);
    if (key === null || this.requests === null) return { allowed: true, headers: {} };
    // Refused requests count: a client that ignores Retry-After stays refused until the window ends.
    const { ok, state } = await this.requests.take(key, 1, false);
    if (ok) return { allowed: true, headers: this.requests.headers(state) };
    return refusal(
      this.requests,
      state,
      `over the request rate of ${this.config.requestsPerSecond}/s (burst ${this.requests.burst}) for ${principal.name}: retry after the Retry-After seconds`,
    );
  }

  /** A metric batch's `n` points (a non-negative integer); 0 takes nothing and reports the state. */
  async takePoints(principal: Principal, n: number): Promise<RateDecision> {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`points must be a non-negative integer, got ${n}`);
    const key = rateLimitKey(principal);
    const points = this.points;
    if (key === null || points === null) return { allowed: true, headers: {} };
    if (n === 0) return { allowed: true, headers: points.headers(await points.peek(key)) };
    if (n > points.burst) {
      return {
        allowed: false,
        status: 413,
        limit: 'points',
        retryAfterSeconds: null,
        headers: points.headers(await points.peek(key)),
        body: {
          error: 'payload_too_large',
          message: `a batch of ${n} points is more than the point burst of ${points.burst}: send it in smaller batches`,
          field: 'metrics',
        },
      };
    }
    const { ok, state } = await points.take(key, n, true);
    if (ok) return { allowed: true, headers: points.headers(state) };
    return refusal(
      points,
      state,
      `a batch of ${n} points is over the point rate of ${this.config.pointsPerSecond}/s (${state.remaining} left in this window) for ${principal.name}: retry after the Retry-After seconds`,
    );
  }
}

function validate(config: RateLimitConfig): void {
  for (const [rate, burst, names] of [
    [config.requestsPerSecond, config.requestBurst, 'requestsPerSecond / requestBurst'],
    [config.pointsPerSecond, config.pointBurst, 'pointsPerSecond / pointBurst'],
  ] as const) {
    if (!Number.isFinite(rate) || rate < 0)
      throw new RangeError(`${names}: the rate must be >= 0, got ${rate}`);
    // A burst under one unit would refuse everything: a misconfiguration, not a limit.
    if (rate > 0 && (!Number.isSafeInteger(burst) || burst < 1))
      throw new RangeError(`${names}: the burst must be an integer >= 1 when the rate is on, got ${burst}`);
  }
}

export interface RateLimitsHandle {
  readonly limits: RateLimits;
  /** Express middleware: one request of `principalOf(req)`, 429 when over; install after authentication. */
  readonly middleware: RequestHandler;
  /** For the metrics route, with the batch's point count; answer with `applyRateDecision`. */
  takePoints(principal: Principal, n: number): Promise<RateDecision>;
}

export function createRateLimits(config: RateLimitConfig = DEFAULT_RATE_LIMITS): RateLimitsHandle {
  const limits = new RateLimits(config);
  return {
    limits,
    middleware: rateLimitMiddleware(limits),
    takePoints: (principal, n) => limits.takePoints(principal, n),
  };
}

const ENV = {
  requestsPerSecond: 'RUNLOG_RATE_LIMIT_REQUESTS',
  requestBurst: 'RUNLOG_RATE_LIMIT_REQUEST_BURST',
  pointsPerSecond: 'RUNLOG_RATE_LIMIT_POINTS',
  pointBurst: 'RUNLOG_RATE_LIMIT_POINT_BURST',
} as const satisfies Record<keyof RateLimitConfig, string>;

/** The RUNLOG_RATE_LIMIT_* variables (README), each a non-negative integer; unset or empty: the default. */
export function rateLimitConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitConfig {
  const read = (field: keyof RateLimitConfig): number => {
    const raw = env[ENV[field]];
    if (raw === undefined || raw.trim() === '') return DEFAULT_RATE_LIMITS[field];
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`${ENV[field]} must be an integer >= 0, got "${raw}"`);
    return value;
  };
  const config = {
    requestsPerSecond: read('requestsPerSecond'),
    requestBurst: read('requestBurst'),
    pointsPerSecond: read('pointsPerSecond'),
    pointBurst: read('pointBurst'),
  };
  for (const [rate, burst] of [
    ['requestsPerSecond', 'requestBurst'],
    ['pointsPerSecond', 'pointBurst'],
  ] as const) {
    if (config[rate] > 0 && config[burst] < 1)
      throw new Error(`${ENV[burst]} must be >= 1 while ${ENV[rate]} is on (${config[rate]}/s)`);
  }
  return config;
}
