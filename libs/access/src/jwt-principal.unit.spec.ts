import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import { SqliteEventLog } from '../../log/src/sqlite-event-log';
import { AccessDirectory } from './access-directory';
import { Authenticator, CredentialRejected } from './authenticator';
import { createJwtVerifier, grantsFromClaim, JwtRejected, type JwtConfig } from './jwt-principal';

const config: JwtConfig = {
  jwksUrl: 'http://127.0.0.1:1/unused',
  issuer: 'https://idp.example.com/',
  audience: 'runlog',
  nameClaim: 'email',
  rolesClaim: 'runlog_roles',
};

let signing: { publicKey: KeyLike; privateKey: KeyLike };
let stranger: { publicKey: KeyLike; privateKey: KeyLike };
let jwk: JWK;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  signing = await generateKeyPair('ES256');
  stranger = await generateKeyPair('ES256');
  jwk = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  keys = createLocalJWKSet({ keys: [jwk] });
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { email: 'ada@example.com', runlog_roles: { team: ['writer'] }, ...overrides };
}

async function sign(
  payload: JWTPayload = claims(),
  options: { key?: KeyLike; kid?: string; iss?: string; aud?: string; exp?: number | null } = {},
): Promise<string> {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .setIssuer(options.iss ?? config.issuer)
    .setAudience(options.aud ?? config.audience)
    .setIssuedAt();
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? nowSeconds() + 300);
  return jwt.sign(options.key ?? signing.privateKey);
}

describe('grantsFromClaim', () => {
  it('reads an object of workspace to roles, a single role as a string too', () => {
    expect(grantsFromClaim({ team: ['writer', 'viewer'], ops: 'admin' })).toEqual({
      team: ['writer', 'viewer'],
      ops: ['admin'],
    });
  });

  it('reads a list of "workspace:role" strings, each role once', () => {
    expect(grantsFromClaim(['team:writer', 'team:viewer', 'ops:approver', 'team:writer'])).toEqual({
      team: ['writer', 'viewer'],
      ops: ['approver'],
    });
  });

  it('ignores unknown roles, invalid workspaces and anything that is not a grant', () => {
    expect(
      grantsFromClaim({
        team: ['owner', 'viewer', 3, null],
        'bad ws': ['admin'],
        '*': ['admin'],
        'a.b': ['viewer'],
        lab: ['superuser'],
        num: 5,
      }),
    ).toEqual({ team: ['viewer'] });
    expect(
      grantsFromClaim([
        'team:owner',
        'nocolon',
        ':viewer',
        '*:admin',
        'a:b:viewer',
        'bad ws:viewer',
        7,
        null,
      ]),
    ).toEqual({});
    for (const claim of [undefined, null, 'team:admin', 42, true]) expect(grantsFromClaim(claim)).toEqual({});
  });

  it('grants in a workspace named like an Object member (constructor, toString)', () => {
    expect(grantsFromClaim({ constructor: ['viewer'], toString: 'writer' })).toEqual({
      constructor: ['viewer'],
      toString: ['writer'],
    });
    expect(grantsFromClaim(['constructor:admin'])).toEqual({ constructor: ['admin'] });
  });
});

describe('createJwtVerifier', () => {
  const verify = (token: string) => createJwtVerifier(config, keys)(token);

  it('turns a valid token into a JWT principal named by the name claim, with grants from the object shape', async () => {
    await expect(verify(await sign())).resolves.toEqual({
      name: 'ada@example.com',
      kind: 'jwt',
      grants: { team: ['writer'] },
      mayActOnBehalf: false,
    });
  });

  it('reads grants from the "workspace:role" list shape, ignoring unknown roles and bad workspaces', async () => {
    const token = await sign(
      claims({ runlog_roles: ['team:viewer', 'ops:admin', 'team:owner', 'x y:viewer'] }),
    );
    await expect(verify(token)).resolves.toMatchObject({ grants: { team: ['viewer'], ops: ['admin'] } });
  });

  it('takes a token without a roles claim as a principal with no role', async () => {
    const token = await sign({ email: 'ada@example.com' });
    await expect(verify(token)).resolves.toMatchObject({ name: 'ada@example.com', grants: {} });
  });

  it('names the principal by the configured claim', async () => {
    const token = await sign(claims({ sub: 'user-1' }));
    await expect(createJwtVerifier({ ...config, nameClaim: 'sub' }, keys)(token)).resolves.toMatchObject({
      name: 'user-1',
    });
  });

  it.each([
    ['missing', {}],
    ['a number', { email: 42 }],
    ['with a space', { email: 'ada lovelace' }],
    ['empty', { email: '' }],
    ['129 characters', { email: 'a'.repeat(129) }],
  ])('refuses a name claim %s', async (_what, name) => {
    const payload = claims();
    delete payload.email;
    const token = await sign({ ...payload, ...name });
    await expect(verify(token)).rejects.toThrow(JwtRejected);
    await expect(verify(token)).rejects.toThrow(/"email" claim/);
  });

  it('refuses another issuer or another audience', async () => {
    await expect(verify(await sign(claims(), { iss: 'https://evil.example.com/' }))).rejects.toThrow(
      JwtRejected,
    );
    await expect(verify(await sign(claims(), { aud: 'another-app' }))).rejects.toThrow(JwtRejected);
  });

  it('refuses a token without exp', async () => {
    await expect(verify(await sign(claims(), { exp: null }))).rejects.toThrow(/exp/);
  });

  it('allows 30 s of clock skew on exp and no more', async () => {
    await expect(verify(await sign(claims(), { exp: nowSeconds() - 10 }))).resolves.toMatchObject({
      kind: 'jwt',
    });
    await expect(verify(await sign(claims(), { exp: nowSeconds() - 60 }))).rejects.toThrow(JwtRejected);
  });

  it('refuses a token signed by a key not in the set, with its kid or another', async () => {
    await expect(verify(await sign(claims(), { key: stranger.privateKey }))).rejects.toThrow(JwtRejected);
    await expect(verify(await sign(claims(), { key: stranger.privateKey, kid: 'k2' }))).rejects.toThrow(
      JwtRejected,
    );
  });

  it('refuses an unsigned token (alg none)', async () => {
    const token = new UnsecuredJWT(claims())
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime('5m')
      .encode();
    await expect(verify(token)).rejects.toThrow(JwtRejected);
  });

  it('refuses an HS256 token even when the key lookup would hand over the shared secret', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-of-32-bytes-at-least!');
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime('5m')
      .sign(secret);
    // A resolver that answers every header, as a careless JWKS mapping might: the allow-list still holds.
    const careless: JWTVerifyGetKey = async (header, input) =>
      header.alg === 'HS256' ? secret : keys(header, input);
    await expect(createJwtVerifier(config, careless)(token)).rejects.toThrow(/alg/);
    await expect(createJwtVerifier(config, careless)(await sign())).resolves.toMatchObject({ kind: 'jwt' });
  });

  it('refuses what is not a JWT at all', async () => {
    for (const token of ['a.b.c', 'not-a-jwt', '']) await expect(verify(token)).rejects.toThrow(JwtRejected);
  });
});

describe('the JWKS fetched over HTTP (the default key source)', () => {
  let server: Server;
  let jwksUrl: string;
  let fetches = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      fetches += 1;
      if (request.url !== '/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies against the provider keys fetched from jwksUrl, and refuses a stranger', async () => {
    const before = fetches;
    const verify = createJwtVerifier({ ...config, jwksUrl });
    await expect(verify(await sign())).resolves.toMatchObject({ name: 'ada@example.com', kind: 'jwt' });
    expect(fetches).toBeGreaterThan(before);
    await expect(verify(await sign(claims(), { key: stranger.privateKey }))).rejects.toThrow(JwtRejected);
  });

  it('is what the Authenticator uses for a bearer JWT, and a refused JWT is a rejected credential', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runlog-jwt-'));
    const log = SqliteEventLog.open({ path: join(dir, 'log.db') });
    try {
      const authenticator = new Authenticator(
        {
          mode: 'required',
          tokens: false,
          jwt: { ...config, jwksUrl },
          bootstrapToken: null,
          localOwner: 'me',
          documents: 'public',
        },
        new AccessDirectory(log, { pollMs: 60_000 }),
      );
      await expect(authenticator.authenticate(`Bearer ${await sign()}`)).resolves.toMatchObject({
        name: 'ada@example.com',
        kind: 'jwt',
        grants: { team: ['writer'] },
      });
      const wrongAudience = await sign(claims(), { aud: 'another-app' });
      await expect(authenticator.authenticate(`Bearer ${wrongAudience}`)).rejects.toThrow(CredentialRejected);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
