import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ACCESS_ROLES, type AccessRole, type Principal } from './principal';
import { PRINCIPAL_NAME_PATTERN, WORKSPACE_PATTERN } from './access-events';

export interface JwtConfig {
  /** The identity provider's JSON Web Key Set, fetched and cached by jose (refetched on an unknown key id). */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The claim naming the principal (stamped as the actor): `sub` by default, `email` or `preferred_username`. */
  nameClaim: string;
  /**
   * The claim holding workspaces and roles: an object `{ "<workspace>": ["writer", …] }`, or a list of
   * `"<workspace>:<role>"` strings (what group or role mappers of identity providers emit).
   */
  rolesClaim: string;
}

export class JwtRejected extends Error {}

/** A provider signs with its private key; a shared-secret (HS*) or unsigned token is never taken. */
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const ROLE_SET = new Set<string>(ACCESS_ROLES);
const NAME = new RegExp(PRINCIPAL_NAME_PATTERN);
const WORKSPACE = new RegExp(WORKSPACE_PATTERN);

/** Workspaces and roles from the roles claim; anything that is not a known role in a valid workspace is ignored. */
export function grantsFromClaim(claim: unknown): Record<string, AccessRole[]> {
  const grants: Record<string, AccessRole[]> = {};
  const grant = (workspace: unknown, role: unknown) => {
    if (typeof workspace !== 'string' || !WORKSPACE.test(workspace)) return;
    if (typeof role !== 'string' || !ROLE_SET.has(role)) return;
    // An own property: `constructor` is a valid workspace name, and not Object's member.
    const roles = Object.hasOwn(grants, workspace) ? grants[workspace] : (grants[workspace] = []);
    if (!roles.includes(role as AccessRole)) roles.push(role as AccessRole);
  };
  if (Array.isArray(claim)) {
    for (const entry of claim) {
      if (typeof entry !== 'string') continue;
      const at = entry.lastIndexOf(':');
      if (at > 0) grant(entry.slice(0, at), entry.slice(at + 1));
    }
  } else if (claim !== null && typeof claim === 'object') {
    for (const [workspace, roles] of Object.entries(claim)) {
      for (const role of Array.isArray(roles) ? roles : [roles]) grant(workspace, role);
    }
  }
  return grants;
}

export function principalFromClaims(payload: JWTPayload, config: JwtConfig): Principal {
  const name = payload[config.nameClaim];
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new JwtRejected(
      `the token's "${config.nameClaim}" claim is not a principal name (${PRINCIPAL_NAME_PATTERN})`,
    );
  }
  return {
    name,
    kind: 'jwt',
    grants: grantsFromClaim(payload[config.rolesClaim]),
    mayActOnBehalf: false,
  };
}

/**
 * Verifies bearer JWTs with jose: signature against the provider's JWKS, issuer and audience pinned, `exp`
 * required (a token without an end is not accepted), 30 s of clock tolerance.
 */
export function createJwtVerifier(
  config: JwtConfig,
  keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000 }),
): (token: string) => Promise<Principal> {
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp'],
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: 30,
      });
      return principalFromClaims(payload, config);
    } catch (error) {
      if (error instanceof JwtRejected) throw error;
      throw new JwtRejected(
        `the bearer token is not a valid JWT for this server: ${(error as Error).message}`,
      );
    }
  };
}
