import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens read `rl_<tokenId>_<secret>`: the id (16 hex digits) finds the token, the secret (32 random bytes,
 * base64url) proves it. Only sha256(secret) is kept, in the log; the secret is shown once, to whoever issued it.
 * The `rl_` prefix lets secret scanners (GitHub's, gitleaks) recognise a leaked one.
 */
export const TOKEN_PREFIX = 'rl_';
const TOKEN_PATTERN = /^rl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface IssuedSecret {
  tokenId: string;
  token: string;
  secretSha256: string;
}

export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newApiToken(): IssuedSecret {
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { tokenId, token: `${TOKEN_PREFIX}${tokenId}_${secret}`, secretSha256: secretDigest(secret) };
}

/** The id and secret of a presented token, or null when it is not one of ours (maybe a JWT). */
export function parseApiToken(presented: string): { tokenId: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(presented);
  return match ? { tokenId: match[1], secret: match[2] } : null;
}

/** Constant-time, so the time taken does not tell how much of a guessed secret was right. */
export function secretMatches(secret: string, expectedSha256: string): boolean {
  const presented = Buffer.from(secretDigest(secret), 'hex');
  const expected = Buffer.from(expectedSha256, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
