import { timingSafeEqual, createHash } from 'node:crypto';
import type { AccessDirectory } from './access-directory';
import { parseApiToken, secretMatches } from './api-token';
import { createJwtVerifier, JwtRejected, type JwtConfig } from './jwt-principal';
import { ALL_WORKSPACES, localOwner, type Principal } from './principal';

export interface AuthConfig {
  /**
   * `local`: a request without a credential is the local owner (the loopback default); `off`: the same on any
   * address (RUNLOG_AUTH=off, logged loudly); `required`: every request but the public ones needs a credential.
   */
  mode: 'local' | 'off' | 'required';
  /** Whether API tokens are taken (RUNLOG_AUTH names `tokens`; always in local and off modes). */
  tokens: boolean;
  jwt: JwtConfig | null;
  /** RUNLOG_BOOTSTRAP_TOKEN: a secret that is an admin of every workspace, to issue the first tokens. */
  bootstrapToken: string | null;
  /** The local owner's name, stamped as the actor of what it writes. */
  localOwner: string;
  /** Whether the OpenAPI and GraphQL documents need a credential (RUNLOG_AUTH_DOCUMENTS=protected). */
  documents: 'public' | 'protected';
}

/** The credential was presented and is wrong (unknown, revoked, expired, badly signed): 401, whatever the route. */
export class CredentialRejected extends Error {
  readonly code = 'unauthenticated';
}

/** No credential on a request that needs one. */
export const ANONYMOUS: Principal = {
  name: 'anonymous',
  kind: 'anonymous',
  grants: {},
  mayActOnBehalf: false,
};

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `Bearer <credential>`, or Basic auth whose password is the credential (what MLflow clients send). */
export function credentialOf(authorization: string | undefined): string | null {
  if (authorization === undefined || authorization.trim() === '') return null;
  const [scheme, ...rest] = authorization.trim().split(/\s+/);
  const value = rest.join(' ');
  if (/^bearer$/i.test(scheme) && value) return value;
  if (/^basic$/i.test(scheme) && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0 && colon < decoded.length - 1) return decoded.slice(colon + 1);
  }
  throw new CredentialRejected(
    'the authorization header must be "Bearer <token>" (or Basic with the token as password)',
  );
}

/** Who a request is, from its Authorization header; every process asks the log-fed AccessDirectory. */
export class Authenticator {
  private readonly verifyJwt: ((token: string) => Promise<Principal>) | null;

  constructor(
    readonly config: AuthConfig,
    private readonly directory: AccessDirectory,
    private readonly now: () => number = Date.now,
  ) {
    this.verifyJwt = config.jwt ? createJwtVerifier(config.jwt) : null;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const credential = credentialOf(authorization);
    if (credential === null) {
      return this.config.mode === 'required' ? ANONYMOUS : localOwner(this.config.localOwner);
    }
    if (this.config.bootstrapToken !== null && this.isBootstrap(credential)) {
      return {
        name: 'bootstrap',
        kind: 'bootstrap',
        grants: { [ALL_WORKSPACES]: ['admin'] },
        mayActOnBehalf: true,
      };
    }
    const apiToken = parseApiToken(credential);
    if (apiToken && (this.config.tokens || this.config.mode !== 'required')) {
      return this.tokenPrincipal(apiToken.tokenId, apiToken.secret);
    }
    if (this.verifyJwt && credential.split('.').length === 3) {
      try {
        return await this.verifyJwt(credential);
      } catch (error) {
        throw new CredentialRejected(
          error instanceof JwtRejected ? error.message : 'the bearer token was refused',
        );
      }
    }
    throw new CredentialRejected('the bearer token is not one this server takes');
  }

  private isBootstrap(credential: string): boolean {
    return timingSafeEqual(sha256(credential), sha256(this.config.bootstrapToken ?? ''));
  }

  private async tokenPrincipal(tokenId: string, secret: string): Promise<Principal> {
    let token = this.directory.token(tokenId);
    // Issued a moment ago by another process: read the access topic once more before refusing it.
    if (!token) {
      await this.directory.catchUp();
      token = this.directory.token(tokenId);
    }
    if (!token || !secretMatches(secret, token.secretSha256)) {
      throw new CredentialRejected('the API token is not valid');
    }
    if (token.revokedAt !== undefined)
      throw new CredentialRejected(`the API token was revoked at ${token.revokedAt}`);
    // An expiry that does not parse (NaN) ends the token rather than make it endless: fail closed.
    if (token.expiresAt !== null && !(Date.parse(token.expiresAt) > this.now())) {
      throw new CredentialRejected(`the API token expired at ${token.expiresAt}`);
    }
    return {
      name: token.principal,
      kind: 'token',
      tokenId: token.tokenId,
      grants: { [token.workspace]: token.roles },
      mayActOnBehalf: token.actOnBehalf,
    };
  }
}
