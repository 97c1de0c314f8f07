import type { Principal, WorkspaceScope } from './principal';
import { readScopeOf } from './principal';

/** The authenticated principal the access middleware attached to an HTTP request (GraphQL's context `req` too). */
export interface AuthenticatedRequest {
  principal?: Principal;
}

export function principalOf(request: object): Principal {
  const principal = (request as AuthenticatedRequest).principal;
  // The middleware runs before every route: a request without one is a wiring mistake, refused rather than trusted.
  if (!principal)
    throw new Error('the request was not authenticated: the access middleware is not installed');
  return principal;
}

export function readScopeOfRequest(request: object): WorkspaceScope {
  return readScopeOf(principalOf(request));
}
