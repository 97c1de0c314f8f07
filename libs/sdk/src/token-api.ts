import { RunlogRequestError } from './request-error';
import { retryDelayMs, sleep } from './retry-after';

/** The roles of a workspace (the server's libs/access/src/principal.ts). */
export type AccessRole = 'viewer' | 'writer' | 'approver' | 'admin';

export interface IssueTokenRequest {
  /** Who the token acts as; the caller when absent. */
  principal?: string;
  /** The one workspace it acts in; the request's (`workspace` option) when absent. */
  workspace?: string;
  /** A subset of the issuer's roles there. */
  roles: readonly AccessRole[];
  /** When it stops working; never when absent (unless the server caps it). */
  expiresAt?: string | Date;
  description?: string;
  /** May stamp a client's actor as "on behalf of" (a service acting for its users). */
  actOnBehalf?: boolean;
}

/** A token as listed: never its secret. */
export interface TokenView {
  tokenId: string;
  principal: string;
  workspace: string;
  roles: AccessRole[];
  issuedAt: string;
  issuedBy: string;
  expiresAt?: string | null;
  description?: string | null;
  actOnBehalf?: boolean;
  revokedAt?: string;
  revokedBy?: string;
  revokeReason?: string | null;
}

/** The answer of an issue: `token` (`rl_<tokenId>_<secret>`) is shown in this answer only, stored only as a hash. */
export interface IssuedToken extends TokenView {
  token: string;
}

export interface RevokedToken {
  tokenId: string;
  revokedAt: string;
  revokedBy: string;
}

export interface Whoami {
  principal: string;
  kind: string;
  tokenId?: string;
  /** Roles per workspace; `*` is every workspace. */
  grants: Record<string, AccessRole[]>;
}

/** Where the token routes are (the ingest API), with the client's headers (authorization, workspace). */
export interface ApiAccess {
  baseUrl: string;
  fetch: typeof fetch;
  headers: Record<string, string>;
}

/** A 429 is refused before the route runs (nothing issued or revoked), so it is safe to send again. */
const ATTEMPTS = 5;
const RETRY_BASE_DELAY_MS = 200;

/** One JSON request; 429 retried (honoring Retry-After) up to 5 attempts; any other failure thrown as it is. */
export async function apiRequest<T>(
  access: ApiAccess,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await access.fetch(`${access.baseUrl}${path}`, {
      method,
      headers: {
        ...access.headers,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : {}) as T;
    if (response.status !== 429 || attempt >= ATTEMPTS)
      throw new RunlogRequestError(response.status, text, path);
    await sleep(retryDelayMs(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1), response.headers.get('retry-after')));
  }
}

export function issueToken(access: ApiAccess, request: IssueTokenRequest): Promise<IssuedToken> {
  const { expiresAt, ...rest } = request;
  const body = {
    ...rest,
    ...(expiresAt !== undefined
      ? { expiresAt: expiresAt instanceof Date ? expiresAt.toISOString() : expiresAt }
      : {}),
  };
  return apiRequest<IssuedToken>(access, 'POST', '/api/v1/tokens', body);
}

export async function listTokens(
  access: ApiAccess,
  options: { workspace?: string } = {},
): Promise<TokenView[]> {
  const query = options.workspace !== undefined ? `?workspace=${encodeURIComponent(options.workspace)}` : '';
  const answer = await apiRequest<{ tokens: TokenView[] }>(access, 'GET', `/api/v1/tokens${query}`);
  return answer.tokens;
}

export function revokeToken(access: ApiAccess, tokenId: string, reason?: string): Promise<RevokedToken> {
  const path = `/api/v1/tokens/${encodeURIComponent(tokenId)}/revoke`;
  return apiRequest<RevokedToken>(access, 'POST', path, reason !== undefined ? { reason } : {});
}

export function whoami(access: ApiAccess): Promise<Whoami> {
  return apiRequest<Whoami>(access, 'GET', '/api/v1/whoami');
}
