import Ajv from 'ajv';
import type { EventEnvelope } from '../../events/src/envelope';
import { ACCESS_ROLES, type AccessRole } from './principal';

/** One stream per API token on the access topic: written once when issued, once more if revoked. */
export function tokenStream(tokenId: string): string {
  return `token:${tokenId}`;
}

export interface TokenIssuedPayload {
  tokenId: string;
  principal: string;
  workspace: string;
  roles: AccessRole[];
  /** sha256 of the secret, hex: the secret itself is never stored. */
  secretSha256: string;
  expiresAt: string | null;
  description: string | null;
  actOnBehalf: boolean;
}

export interface TokenRevokedPayload {
  tokenId: string;
  reason: string | null;
}

/** A token as the log says it stands: who issued it (the event's actor), and whether and by whom it was revoked. */
export interface TokenRecord extends TokenIssuedPayload {
  issuedAt: string;
  issuedBy: string;
  revokedAt?: string;
  revokedBy?: string;
  revokeReason?: string | null;
}

export const PRINCIPAL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$';
export const WORKSPACE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

const ajv = new Ajv({ allErrors: false });
const isIssued = ajv.compile<TokenIssuedPayload>({
  type: 'object',
  additionalProperties: false,
  required: [
    'tokenId',
    'principal',
    'workspace',
    'roles',
    'secretSha256',
    'expiresAt',
    'description',
    'actOnBehalf',
  ],
  properties: {
    tokenId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    principal: { type: 'string', pattern: PRINCIPAL_NAME_PATTERN },
    workspace: { type: 'string', pattern: WORKSPACE_PATTERN },
    roles: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...ACCESS_ROLES] } },
    secretSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    expiresAt: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    description: { anyOf: [{ type: 'string', maxLength: 500 }, { type: 'null' }] },
    actOnBehalf: { type: 'boolean' },
  },
});
const isRevoked = ajv.compile<TokenRevokedPayload>({
  type: 'object',
  additionalProperties: false,
  required: ['tokenId', 'reason'],
  properties: {
    tokenId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    reason: { anyOf: [{ type: 'string', maxLength: 500 }, { type: 'null' }] },
  },
});

/**
 * Folds one access event into the token table. A record that is not a well-formed access event is skipped (and
 * reported): no one can write to the access topic but Runlog, and a reader must not stop on one bad record.
 */
export function applyAccessEvent(
  tokens: Map<string, TokenRecord>,
  event: EventEnvelope,
): 'applied' | 'skipped' {
  if (event.type === 'token.issued' && isIssued(event.payload)) {
    if (tokens.has(event.payload.tokenId)) return 'skipped';
    tokens.set(event.payload.tokenId, {
      ...event.payload,
      issuedAt: event.recordedAt,
      issuedBy: event.actor,
    });
    return 'applied';
  }
  if (event.type === 'token.revoked' && isRevoked(event.payload)) {
    const token = tokens.get(event.payload.tokenId);
    // The first revocation stands; a second one (two admins at once) changes nothing.
    if (!token || token.revokedAt !== undefined) return 'skipped';
    tokens.set(token.tokenId, {
      ...token,
      revokedAt: event.recordedAt,
      revokedBy: event.actor,
      revokeReason: event.payload.reason,
    });
    return 'applied';
  }
  return 'skipped';
}

/** The public view of a token: everything but the secret's digest. */
export function describeToken(token: TokenRecord): Omit<TokenRecord, 'secretSha256'> {
  const view: Partial<TokenRecord> = { ...token };
  delete view.secretSha256;
  return view as Omit<TokenRecord, 'secretSha256'>;
}
