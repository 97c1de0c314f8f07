import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RateDecision, RateLimits } from './rate-limit';
import { principalOf } from './request-principal';

/** The current drafts' fields are Lists: a metric batch's answer carries the requests and the points policy both. */
const LIST_FIELDS = new Set(['ratelimit', 'ratelimit-policy']);
/** A refused upload still sending after this long is cut off rather than read to its end. */
const DRAIN_CUTOFF_MS = 10_000;

/**
 * Puts a decision's headers on the answer, and answers a refusal (the caller then stops). The legacy
 * `RateLimit-Limit/-Remaining/-Reset` describe one limit, so the latest decision's replace earlier ones (a metric
 * batch's answer speaks of points); `RateLimit` and `RateLimit-Policy` are appended.
 */
export function applyRateDecision(response: Response, decision: RateDecision): boolean {
  setRateHeaders(response, decision);
  if (decision.allowed) return true;
  response.status(decision.status).json(decision.body);
  return false;
}

/** A decision's headers on the answer, whether it was allowed or not (a handler then answers or throws). */
export function setRateHeaders(response: Response, decision: RateDecision): void {
  for (const [name, value] of Object.entries(decision.headers)) {
    if (LIST_FIELDS.has(name.toLowerCase())) response.append(name, value);
    else response.setHeader(name, value);
  }
}

/** A refused request's body is read and dropped, so the connection stays usable for the client's retry. */
function drainUnread(request: Request): void {
  if (request.complete) return;
  request.resume();
  const cutOff = setTimeout(() => request.destroy(), DRAIN_CUTOFF_MS).unref();
  request.once('end', () => clearTimeout(cutOff));
}

/** One request of the authenticated principal; installed after the authentication middleware. */
export function rateLimitMiddleware(limits: RateLimits): RequestHandler {
  return (request: Request, response: Response, next: NextFunction): void => {
    let principal;
    try {
      principal = principalOf(request);
    } catch (error) {
      return next(error);
    }
    limits.takeRequest(principal).then(
      (decision) => {
        if (applyRateDecision(response, decision)) return next();
        drainUnread(request);
      },
      (error: unknown) => next(error),
    );
  };
}
