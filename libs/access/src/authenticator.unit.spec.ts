import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEventId, TOPICS, type NewEvent } from '../../events/src/envelope';
import type { EventLog } from '../../log/src/event-log';
import { SqliteEventLog } from '../../log/src/sqlite-event-log';
import { AccessDirectory } from './access-directory';
import { tokenStream, type TokenIssuedPayload } from './access-events';
import { newApiToken } from './api-token';
import { ANONYMOUS, Authenticator, credentialOf, CredentialRejected, type AuthConfig } from './authenticator';
import { localOwner } from './principal';

let path: string;
let log: SqliteEventLog;
let directory: AccessDirectory;

beforeEach(async () => {
  path = join(mkdtempSync(join(tmpdir(), 'runlog-auth-')), 'log.db');
  log = SqliteEventLog.open({ path, pollIntervalMs: 50 });
  // A long poll: whatever the directory learns in a test, it learns by reading on demand.
  directory = new AccessDirectory(log, { pollMs: 60_000 });
  await directory.start();
});

afterEach(async () => {
  directory.stop();
  await log.close();
  rmSync(join(path, '..'), { recursive: true, force: true });
});

function config(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    mode: 'required',
    tokens: true,
    jwt: null,
    bootstrapToken: null,
    localOwner: 'laptop-user',
    documents: 'public',
    ...overrides,
  };
}

function event(type: string, payload: unknown): NewEvent {
  const at = new Date().toISOString();
  return { id: newEventId(), type, v: 1, workspace: 'team', actor: 'root', occurredAt: at, payload };
}

/** Issues a token in the log as the token routes do, and returns what its holder was shown. */
async function issue(
  on: EventLog,
  overrides: Partial<TokenIssuedPayload> = {},
): Promise<{ token: string; payload: TokenIssuedPayload }> {
  const secret = newApiToken();
  const payload: TokenIssuedPayload = {
    tokenId: secret.tokenId,
    principal: 'ci-bot',
    workspace: 'team',
    roles: ['writer'],
    secretSha256: secret.secretSha256,
    expiresAt: null,
    description: null,
    actOnBehalf: false,
    ...overrides,
  };
  await on.appendToStream(TOPICS.access, tokenStream(payload.tokenId), [event('token.issued', payload)]);
  return { token: secret.token, payload };
}

async function issued(overrides: Partial<TokenIssuedPayload> = {}) {
  const result = await issue(log, overrides);
  await directory.catchUp();
  return result;
}

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('credentialOf', () => {
  it('finds no credential in a missing or blank header', () => {
    expect(credentialOf(undefined)).toBeNull();
    expect(credentialOf('')).toBeNull();
    expect(credentialOf('   ')).toBeNull();
  });

  it('takes a bearer token, whatever the scheme case and spacing', () => {
    expect(credentialOf('Bearer abc.def')).toBe('abc.def');
    expect(credentialOf('bearer   abc')).toBe('abc');
    expect(credentialOf('  BEARER abc  ')).toBe('abc');
  });

  it('takes the password of Basic auth as the credential (what MLflow clients send)', () => {
    expect(credentialOf(basic('mlflow', 'rl_secret'))).toBe('rl_secret');
    expect(credentialOf(basic('', 'rl_secret'))).toBe('rl_secret');
    expect(credentialOf(basic('user', 'pass:with:colons'))).toBe('pass:with:colons');
  });

  it.each([
    ['a bare scheme', 'Bearer'],
    ['a bare scheme with trailing space', 'Bearer   '],
    ['another scheme', 'Token abc'],
    ['a bare token', 'rl_0123456789abcdef_x'],
    ['Basic without a value', 'Basic'],
    ['Basic without a colon', `Basic ${Buffer.from('just-a-user').toString('base64')}`],
    ['Basic with an empty password', basic('user', '')],
  ])('refuses %s', (_what, header) => {
    expect(() => credentialOf(header)).toThrow(CredentialRejected);
  });
});

describe('Authenticator', () => {
  const authenticate = (overrides: Partial<AuthConfig>, header: string | undefined, now?: () => number) =>
    new Authenticator(config(overrides), directory, now).authenticate(header);

  describe('without a credential', () => {
    it('is the local owner in local and off modes, and anonymous when credentials are required', async () => {
      await expect(authenticate({ mode: 'local' }, undefined)).resolves.toEqual(localOwner('laptop-user'));
      await expect(authenticate({ mode: 'off' }, undefined)).resolves.toEqual(localOwner('laptop-user'));
      await expect(authenticate({ mode: 'required' }, undefined)).resolves.toBe(ANONYMOUS);
      expect(ANONYMOUS).toMatchObject({ kind: 'anonymous', grants: {}, mayActOnBehalf: false });
    });

    it('refuses a malformed header in every mode rather than treat it as none', async () => {
      for (const mode of ['local', 'off', 'required'] as const) {
        await expect(authenticate({ mode }, 'Token abc')).rejects.toThrow(CredentialRejected);
      }
    });
  });

  describe('an API token', () => {
    it('authenticates as its principal with its roles in its workspace, in every mode', async () => {
      const { token, payload } = await issued({ roles: ['viewer', 'approver'], actOnBehalf: true });
      for (const mode of ['local', 'off', 'required'] as const) {
        await expect(authenticate({ mode }, bearer(token))).resolves.toEqual({
          name: 'ci-bot',
          kind: 'token',
          tokenId: payload.tokenId,
          grants: { team: ['viewer', 'approver'] },
          mayActOnBehalf: true,
        });
      }
    });

    it('is taken as the Basic auth password', async () => {
      const { token } = await issued();
      await expect(authenticate({}, basic('mlflow', token))).resolves.toMatchObject({ name: 'ci-bot' });
    });

    it('is refused when wrong, even in local mode where no credential would be the owner', async () => {
      const { token } = await issued();
      const wrongSecret = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      const unknown = newApiToken().token;
      for (const mode of ['local', 'off', 'required'] as const) {
        for (const presented of [wrongSecret, unknown, 'not-a-token-nor-a-jwt']) {
          await expect(authenticate({ mode }, bearer(presented))).rejects.toThrow(CredentialRejected);
        }
      }
    });

    it('is refused once revoked, and a wrong secret does not learn that it was', async () => {
      const { token, payload } = await issued();
      await log.appendToStream(TOPICS.access, tokenStream(payload.tokenId), [
        event('token.revoked', { tokenId: payload.tokenId, reason: null }),
      ]);
      await directory.catchUp();
      await expect(authenticate({}, bearer(token))).rejects.toThrow(/revoked/);
      await expect(authenticate({ mode: 'local' }, bearer(token))).rejects.toThrow(CredentialRejected);
      const wrongSecret = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      await expect(authenticate({}, bearer(wrongSecret))).rejects.toThrow('the API token is not valid');
    });

    it('is taken until its expiry and refused from that instant on', async () => {
      const expiresAt = '2030-06-01T12:00:00.000Z';
      const end = Date.parse(expiresAt);
      const { token } = await issued({ expiresAt });
      await expect(authenticate({}, bearer(token), () => end - 1)).resolves.toMatchObject({ kind: 'token' });
      await expect(authenticate({}, bearer(token), () => end)).rejects.toThrow(/expired/);
      await expect(authenticate({}, bearer(token), () => end + 86_400_000)).rejects.toThrow(
        CredentialRejected,
      );
    });

    it('is refused when its expiry cannot be read (fail closed)', async () => {
      const { token } = await issued({ expiresAt: 'next tuesday' });
      await expect(authenticate({}, bearer(token), () => 0)).rejects.toThrow(CredentialRejected);
    });

    it('is not taken when credentials are required and tokens are not among them', async () => {
      const { token } = await issued();
      await expect(authenticate({ tokens: false }, bearer(token))).rejects.toThrow(CredentialRejected);
      await expect(authenticate({ tokens: false, mode: 'local' }, bearer(token))).resolves.toMatchObject({
        kind: 'token',
      });
    });
  });

  describe('a token the directory does not know yet', () => {
    it('makes it read the log once, and a token just issued by another writer is taken at once', async () => {
      const other = SqliteEventLog.open({ path, pollIntervalMs: 50 });
      try {
        const { token, payload } = await issue(other);
        const reads = jest.spyOn(directory, 'catchUp');
        await expect(authenticate({}, bearer(token))).resolves.toMatchObject({ tokenId: payload.tokenId });
        expect(reads).toHaveBeenCalledTimes(1);
        await authenticate({}, bearer(token));
        expect(reads).toHaveBeenCalledTimes(1); // known now: no more reads
        await expect(authenticate({}, bearer(newApiToken().token))).rejects.toThrow(CredentialRejected);
        expect(reads).toHaveBeenCalledTimes(2);
      } finally {
        await other.close();
      }
    });

    it('does not make it read the log for a known id with a wrong secret', async () => {
      const { token } = await issued();
      const reads = jest.spyOn(directory, 'catchUp');
      const wrongSecret = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      await expect(authenticate({}, bearer(wrongSecret))).rejects.toThrow(CredentialRejected);
      expect(reads).not.toHaveBeenCalled();
    });
  });

  describe('the bootstrap token', () => {
    const bootstrapToken = 'first-boot-secret-0123456789';

    it('is an admin of every workspace, as bearer or Basic password, in every mode', async () => {
      for (const mode of ['local', 'off', 'required'] as const) {
        for (const header of [bearer(bootstrapToken), basic('admin', bootstrapToken)]) {
          await expect(authenticate({ mode, bootstrapToken }, header)).resolves.toEqual({
            name: 'bootstrap',
            kind: 'bootstrap',
            grants: { '*': ['admin'] },
            mayActOnBehalf: true,
          });
        }
      }
    });

    it('is only that exact secret, and nothing when none is configured', async () => {
      for (const near of [bootstrapToken.slice(1), `${bootstrapToken}x`, bootstrapToken.toUpperCase()]) {
        await expect(authenticate({ bootstrapToken }, bearer(near))).rejects.toThrow(CredentialRejected);
      }
      await expect(authenticate({ bootstrapToken: null }, bearer(bootstrapToken))).rejects.toThrow(
        CredentialRejected,
      );
    });
  });
});
