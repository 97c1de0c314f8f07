/**
 * A server's `Retry-After` wins over the client's own backoff: a 429 from the rate limits says when the window ends,
 * and coming back sooner only earns another 429. Capped, so a wrong header cannot park a client for a day.
 */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`; null when unreadable. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP-date names its day and month; V8's Date.parse would also take '-1' or '1.5' as years.
  if (!/^[A-Za-z]{3}, /.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * How long to wait before the next attempt: the jittered backoff (0.5–1×), or at least what the server asked for.
 * Jitter is added above the asked wait, never taken off it, so clients refused together do not all return at once.
 */
export function retryDelayMs(
  backoffMs: number,
  retryAfter: string | null | undefined,
  random: () => number = Math.random,
): number {
  const jittered = backoffMs * (0.5 + random() / 2);
  const asked = retryAfterMs(retryAfter);
  if (asked === null) return jittered;
  return Math.max(jittered, asked + asked * 0.1 * random());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
