import type { EventEnvelope } from '../../events/src/envelope';
import {
  applyAccessEvent,
  describeToken,
  tokenStream,
  type TokenIssuedPayload,
  type TokenRecord,
  type TokenRevokedPayload,
} from './access-events';
import { newApiToken } from './api-token';

let at = Date.parse('2025-01-01T00:00:00.000Z');

function envelope(type: string, payload: unknown, actor = 'admin-user'): EventEnvelope {
  at += 1000;
  const tokenId = (payload as { tokenId?: unknown } | null)?.tokenId;
  return {
    id: `00000000-0000-7000-8000-${String(at).slice(-12)}`,
    type,
    v: 1,
    stream: tokenStream(String(tokenId)),
    workspace: 'team',
    actor,
    occurredAt: new Date(at).toISOString(),
    recordedAt: new Date(at).toISOString(),
    payload,
    prevHash: null,
    hash: 'h',
  };
}

function issuedPayload(overrides: Partial<TokenIssuedPayload> = {}): TokenIssuedPayload {
  const secret = newApiToken();
  return {
    tokenId: secret.tokenId,
    principal: 'ci-bot',
    workspace: 'team',
    roles: ['writer'],
    secretSha256: secret.secretSha256,
    expiresAt: null,
    description: 'for CI',
    actOnBehalf: false,
    ...overrides,
  };
}

const issued = (payload: unknown, actor?: string) => envelope('token.issued', payload, actor);
const revoked = (payload: TokenRevokedPayload | Record<string, unknown>, actor?: string) =>
  envelope('token.revoked', payload, actor);

describe('tokenStream', () => {
  it('names one stream per token', () => {
    expect(tokenStream('0123456789abcdef')).toBe('token:0123456789abcdef');
  });
});

describe('applyAccessEvent', () => {
  it('records an issued token with who issued it and when', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload({ roles: ['viewer', 'approver'], expiresAt: '2030-01-01T00:00:00Z' });
    const event = issued(payload, 'root');
    expect(applyAccessEvent(tokens, event)).toBe('applied');
    expect(tokens.get(payload.tokenId)).toEqual({
      ...payload,
      issuedAt: event.recordedAt,
      issuedBy: 'root',
    });
  });

  it('folds issued then revoked into a revoked token, by whom, when and why', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload();
    applyAccessEvent(tokens, issued(payload));
    const revocation = revoked({ tokenId: payload.tokenId, reason: 'leaked' }, 'security');
    expect(applyAccessEvent(tokens, revocation)).toBe('applied');
    expect(tokens.get(payload.tokenId)).toMatchObject({
      tokenId: payload.tokenId,
      revokedAt: revocation.recordedAt,
      revokedBy: 'security',
      revokeReason: 'leaked',
    });
  });

  it('keeps the first revocation: a second one (two admins at once) changes nothing', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload();
    applyAccessEvent(tokens, issued(payload));
    const first = revoked({ tokenId: payload.tokenId, reason: null }, 'first-admin');
    applyAccessEvent(tokens, first);
    const before = tokens.get(payload.tokenId);
    expect(applyAccessEvent(tokens, revoked({ tokenId: payload.tokenId, reason: 'again' }, 'second'))).toBe(
      'skipped',
    );
    expect(tokens.get(payload.tokenId)).toEqual(before);
    expect(before).toMatchObject({
      revokedBy: 'first-admin',
      revokedAt: first.recordedAt,
      revokeReason: null,
    });
  });

  it('skips a second issue of the same id: the first holder and digest stand', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload();
    applyAccessEvent(tokens, issued(payload));
    const before = tokens.get(payload.tokenId);
    const impostor = issuedPayload({ tokenId: payload.tokenId, principal: 'mallory', roles: ['admin'] });
    expect(applyAccessEvent(tokens, issued(impostor, 'mallory'))).toBe('skipped');
    expect(tokens.get(payload.tokenId)).toEqual(before);
  });

  it('skips a second issue of a revoked id: it stays revoked', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload();
    applyAccessEvent(tokens, issued(payload));
    applyAccessEvent(tokens, revoked({ tokenId: payload.tokenId, reason: null }));
    expect(applyAccessEvent(tokens, issued(payload))).toBe('skipped');
    expect(tokens.get(payload.tokenId)?.revokedAt).toBeDefined();
  });

  it('skips the revocation of a token it does not know', () => {
    const tokens = new Map<string, TokenRecord>();
    expect(applyAccessEvent(tokens, revoked({ tokenId: '0123456789abcdef', reason: null }))).toBe('skipped');
    expect(tokens.size).toBe(0);
  });

  it('skips events of other types, whatever their payload', () => {
    const tokens = new Map<string, TokenRecord>();
    expect(applyAccessEvent(tokens, envelope('token.renewed', issuedPayload()))).toBe('skipped');
    expect(applyAccessEvent(tokens, envelope('run.created', issuedPayload()))).toBe('skipped');
    expect(tokens.size).toBe(0);
  });

  const valid = issuedPayload();
  const without = (field: keyof TokenIssuedPayload) => {
    const copy: Partial<TokenIssuedPayload> = { ...valid };
    delete copy[field];
    return copy;
  };
  const malformedIssued: [string, unknown][] = [
    ...Object.keys(valid).map((field): [string, unknown] => [
      `without ${field}`,
      without(field as keyof TokenIssuedPayload),
    ]),
    ['an upper-case token id', { ...valid, tokenId: valid.tokenId.toUpperCase().replace(/^./, 'A') }],
    ['a 15-digit token id', { ...valid, tokenId: valid.tokenId.slice(1) }],
    ['a numeric token id', { ...valid, tokenId: 1234 }],
    ['a principal with a space', { ...valid, principal: 'ci bot' }],
    ['an empty principal', { ...valid, principal: '' }],
    ['a 129-character principal', { ...valid, principal: 'p'.repeat(129) }],
    ['a workspace with a dot', { ...valid, workspace: 'team.a' }],
    ['a workspace of "*"', { ...valid, workspace: '*' }],
    ['a 65-character workspace', { ...valid, workspace: 'w'.repeat(65) }],
    ['no roles', { ...valid, roles: [] }],
    ['an unknown role', { ...valid, roles: ['owner'] }],
    ['a role twice', { ...valid, roles: ['viewer', 'viewer'] }],
    ['roles as a string', { ...valid, roles: 'admin' }],
    ['the secret itself instead of its digest', { ...valid, secretSha256: 'x'.repeat(43) }],
    ['an upper-case digest', { ...valid, secretSha256: valid.secretSha256.toUpperCase() }],
    ['a 63-digit digest', { ...valid, secretSha256: valid.secretSha256.slice(1) }],
    ['a numeric expiry', { ...valid, expiresAt: 1_900_000_000 }],
    ['a 501-character description', { ...valid, description: 'd'.repeat(501) }],
    ['actOnBehalf as a string', { ...valid, actOnBehalf: 'true' }],
    ['an extra field', { ...valid, secret: 'x'.repeat(43) }],
    ['a null payload', null],
    ['an array payload', [valid]],
  ];

  it.each(malformedIssued)('skips a token.issued with %s', (_what, payload) => {
    const tokens = new Map<string, TokenRecord>();
    expect(applyAccessEvent(tokens, issued(payload))).toBe('skipped');
    expect(tokens.size).toBe(0);
  });

  it('takes the edges of a well-formed issue: 128-character principal, 64-character workspace, every role', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload({
      principal: `a${'b.@:+-_'.repeat(18)}c`.slice(0, 128),
      workspace: `W${'x-_'.repeat(21)}`,
      roles: ['viewer', 'writer', 'approver', 'admin'],
      description: 'd'.repeat(500),
    });
    expect(payload.principal).toHaveLength(128);
    expect(payload.workspace).toHaveLength(64);
    expect(applyAccessEvent(tokens, issued(payload))).toBe('applied');
  });

  const malformedRevoked: [string, Record<string, unknown>][] = [
    ['without tokenId', { reason: null }],
    ['without reason', { tokenId: valid.tokenId }],
    ['a non-hex token id', { tokenId: 'zzzzzzzzzzzzzzzz', reason: null }],
    ['a numeric reason', { tokenId: valid.tokenId, reason: 7 }],
    ['a 501-character reason', { tokenId: valid.tokenId, reason: 'r'.repeat(501) }],
    ['an extra field', { tokenId: valid.tokenId, reason: null, by: 'someone' }],
  ];

  it.each(malformedRevoked)('skips a token.revoked with %s, and the token stays valid', (_what, payload) => {
    const tokens = new Map<string, TokenRecord>();
    applyAccessEvent(tokens, issued(valid));
    expect(applyAccessEvent(tokens, revoked(payload))).toBe('skipped');
    expect(tokens.get(valid.tokenId)?.revokedAt).toBeUndefined();
  });
});

describe('describeToken', () => {
  it('shows everything but the secret digest, and leaves the record as it was', () => {
    const tokens = new Map<string, TokenRecord>();
    const payload = issuedPayload();
    applyAccessEvent(tokens, issued(payload));
    applyAccessEvent(tokens, revoked({ tokenId: payload.tokenId, reason: 'done' }));
    const record = tokens.get(payload.tokenId)!;
    const view = describeToken(record);
    expect(view).not.toHaveProperty('secretSha256');
    expect(JSON.stringify(view)).not.toContain(payload.secretSha256);
    const { secretSha256, ...rest } = record;
    expect(view).toEqual(rest);
    expect(record.secretSha256).toBe(secretSha256);
  });
});
