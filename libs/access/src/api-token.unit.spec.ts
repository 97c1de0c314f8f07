import * as crypto from 'node:crypto';
import fc from 'fast-check';
import {
  newApiToken,
  parseApiToken,
  secretDigest,
  secretMatches,
  TOKEN_ID_PATTERN,
  TOKEN_PREFIX,
} from './api-token';

const HEX = '0123456789abcdef'.split('');
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');
const tokenId = fc.string({ unit: fc.constantFrom(...HEX), minLength: 16, maxLength: 16 });
const secret = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 43, maxLength: 43 });
const token = (id: string, s: string) => `rl_${id}_${s}`;

function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

describe('newApiToken', () => {
  it('reads rl_<16 hex>_<43 base64url>, and parses back to its own id and secret', () => {
    for (let i = 0; i < 100; i++) {
      const issued = newApiToken();
      expect(issued.token).toMatch(/^rl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(issued.tokenId).toMatch(TOKEN_ID_PATTERN);
      const parsed = parseApiToken(issued.token);
      expect(parsed).not.toBeNull();
      expect(parsed?.tokenId).toBe(issued.tokenId);
      expect(`${TOKEN_PREFIX}${parsed?.tokenId}_${parsed?.secret}`).toBe(issued.token);
      expect(secretMatches(parsed?.secret ?? '', issued.secretSha256)).toBe(true);
    }
  });

  it('keeps only sha256 of the secret: neither the secret nor the token is in the digest', () => {
    for (let i = 0; i < 100; i++) {
      const issued = newApiToken();
      const { secret: plain } = parseApiToken(issued.token)!;
      expect(issued.secretSha256).toBe(sha256Hex(plain));
      expect(issued.secretSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(issued.secretSha256).not.toContain(plain);
      expect(JSON.stringify({ ...issued, token: undefined })).not.toContain(plain);
    }
  });

  it('draws a fresh id and secret each time', () => {
    const issued = Array.from({ length: 200 }, () => newApiToken());
    expect(new Set(issued.map((t) => t.tokenId)).size).toBe(200);
    expect(new Set(issued.map((t) => parseApiToken(t.token)!.secret)).size).toBe(200);
  });
});

describe('parseApiToken', () => {
  const id = '0123456789abcdef';
  const s = 'A'.repeat(20) + '_-' + 'z9'.repeat(10) + 'q';

  it('takes the well-formed token, underscores and dashes inside the secret included', () => {
    expect(s).toHaveLength(43);
    expect(parseApiToken(token(id, s))).toEqual({ tokenId: id, secret: s });
    expect(parseApiToken(token(id, '_'.repeat(43)))).toEqual({ tokenId: id, secret: '_'.repeat(43) });
  });

  it.each([
    ['another prefix', `rk_${id}_${s}`],
    ['an upper-case prefix', `RL_${id}_${s}`],
    ['no prefix', `${id}_${s}`],
    ['a doubled separator after the prefix', `rl__${id}_${s}`],
    ['a doubled separator after the id (the secret one too long)', `rl_${id}__${s}`],
    ['no separator after the id', `rl_${id}${s}`],
    ['the separator inside the id', `rl_${id.slice(0, 8)}_${id.slice(8)}_${s}`],
    ['a 15-digit id', `rl_${id.slice(1)}_${s}`],
    ['a 17-digit id', `rl_${id}0_${s}`],
    ['an upper-case hex id', `rl_${id.toUpperCase()}_${s}`],
    ['a non-hex id', `rl_0123456789abcdeg_${s}`],
    ['a 42-character secret', `rl_${id}_${s.slice(1)}`],
    ['a 44-character secret', `rl_${id}_${s}A`],
    ['base64 (not base64url) in the secret', `rl_${id}_${s.slice(1)}+`],
    ['padding on the secret', `rl_${id}_${s.slice(1)}=`],
    ['a trailing newline', `rl_${id}_${s}\n`],
    ['a leading space', ` rl_${id}_${s}`],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'],
    ['nothing', ''],
  ])('refuses %s', (_what, presented) => {
    expect(parseApiToken(presented)).toBeNull();
  });

  it('round-trips every id and secret of the format', () => {
    fc.assert(
      fc.property(tokenId, secret, (i, v) => {
        expect(parseApiToken(token(i, v))).toEqual({ tokenId: i, secret: v });
      }),
    );
  });

  it('refuses ids one digit or more off 16, on either side', () => {
    const wrongLength = fc
      .string({ unit: fc.constantFrom(...HEX), maxLength: 40 })
      .filter((i) => i.length !== 16);
    fc.assert(fc.property(wrongLength, secret, (i, v) => parseApiToken(token(i, v)) === null));
  });

  it('refuses secrets one character or more off 43, on either side', () => {
    const wrongLength = fc
      .string({ unit: fc.constantFrom(...B64URL), maxLength: 90 })
      .filter((v) => v.length !== 43);
    fc.assert(fc.property(tokenId, wrongLength, (i, v) => parseApiToken(token(i, v)) === null));
  });

  it('refuses a token with any character outside its alphabet put anywhere in the id or the secret', () => {
    const foreign = fc
      .string({ minLength: 1, maxLength: 1, unit: 'binary' })
      .filter((c) => !B64URL.includes(c));
    fc.assert(
      fc.property(tokenId, secret, foreign, fc.nat(58), (i, v, c, at) => {
        const body = `${i}_${v}`;
        const where = 3 + (at % body.length);
        const presented = `rl_${body}`;
        const replaced = presented.slice(0, where) + c + presented.slice(where + 1);
        return parseApiToken(replaced) === null;
      }),
    );
  });

  it('refuses a well-formed token with anything added before or after it', () => {
    fc.assert(
      fc.property(
        tokenId,
        secret,
        fc.string({ minLength: 1, unit: 'binary' }),
        fc.boolean(),
        (i, v, extra, front) => parseApiToken(front ? extra + token(i, v) : token(i, v) + extra) === null,
      ),
    );
  });
});

describe('secretMatches', () => {
  it('is true for the secret whose digest is kept and false for any other', () => {
    fc.assert(
      fc.property(secret, secret, (a, b) => {
        expect(secretMatches(a, secretDigest(a))).toBe(true);
        expect(secretMatches(a, secretDigest(b))).toBe(a === b);
      }),
    );
  });

  it('is false, without throwing, against a digest that is not 64 hex digits', () => {
    const plain = 'x'.repeat(43);
    const digest = secretDigest(plain);
    for (const expected of ['', 'abc', digest.slice(2), `${digest}00`, 'zz'.repeat(32)]) {
      expect(secretMatches(plain, expected)).toBe(false);
    }
  });

  it('compares the digests in constant time (crypto.timingSafeEqual)', () => {
    // The module object itself (the namespace import above is a copy), the one api-token calls into.
    const compare = jest.spyOn(jest.requireActual<typeof crypto>('node:crypto'), 'timingSafeEqual');
    try {
      const plain = 'y'.repeat(43);
      expect(secretMatches(plain, secretDigest('n'.repeat(43)))).toBe(false);
      expect(secretMatches(plain, secretDigest(plain))).toBe(true);
      expect(compare).toHaveBeenCalledTimes(2);
    } finally {
      compare.mockRestore();
    }
  });
});
