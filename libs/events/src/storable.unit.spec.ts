import fc from 'fast-check';
import {
  canonicalUuid,
  findUnstorableValue,
  firstUnstorableMillis,
  loneSurrogateIndex,
  MAX_JSON_DEPTH,
  MAX_STORABLE_MILLIS,
  MAX_STORABLE_TIME,
  MIN_STORABLE_MILLIS,
  MIN_STORABLE_TIME,
  parseStorableTime,
  storableString,
  storableTime,
  storableUuid,
  UnstorableValueError,
} from './storable';

describe('storable times', () => {
  it('spans DateTime64 on every ClickHouse version: 1900-01-01 to 2299-12-31, to the millisecond', () => {
    expect(MIN_STORABLE_TIME).toBe('1900-01-01T00:00:00.000Z');
    expect(MAX_STORABLE_TIME).toBe('2299-12-31T23:59:59.999Z');
  });

  it('takes every whole millisecond in range and refuses every one outside, or fractional', () => {
    const inside = fc.integer({ min: MIN_STORABLE_MILLIS, max: MAX_STORABLE_MILLIS });
    fc.assert(fc.property(inside, (ms) => firstUnstorableMillis([ms]) === -1));
    const outside = fc.oneof(
      fc.integer({ min: MAX_STORABLE_MILLIS + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: MIN_STORABLE_MILLIS - 1 }),
      fc.double({ noInteger: true }),
    );
    fc.assert(fc.property(outside, (ms) => firstUnstorableMillis([0, ms]) === 1));
  });

  it('reads a date-time string only when JavaScript can and the store holds it', () => {
    expect(parseStorableTime('2016-12-31T23:59:59Z')).toEqual({ millis: Date.UTC(2016, 11, 31, 23, 59, 59) });
    expect(parseStorableTime('2016-12-31T23:59:60Z')).toEqual({
      reason: expect.stringMatching(/leap second/),
    });
    expect(parseStorableTime('1899-12-31T23:59:59.999Z')).toEqual({
      reason: expect.stringMatching(/outside/),
    });
    expect(parseStorableTime('2300-01-01T00:00:00Z')).toEqual({ reason: expect.stringMatching(/outside/) });
    expect(parseStorableTime(MIN_STORABLE_TIME)).toEqual({ millis: MIN_STORABLE_MILLIS });
    expect(parseStorableTime('2299-12-31T23:59:59.999+00:00')).toEqual({ millis: MAX_STORABLE_MILLIS });
  });

  it('agrees with the ISO form of every storable instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_STORABLE_MILLIS, max: MAX_STORABLE_MILLIS }), (ms) => {
        expect(storableTime(new Date(ms).toISOString(), 'occurredAt')).toBe(ms);
      }),
    );
  });

  it('throws UnstorableValueError naming the field for a stored time it cannot hold', () => {
    expect(() => storableTime('2016-12-31T23:59:60Z', 'occurredAt')).toThrow(
      expect.objectContaining({ code: 'unstorable_value', field: 'occurredAt' }),
    );
  });
});

describe('canonical UUIDs', () => {
  it('gives every spelling ajv accepts one form: lower case, no urn:uuid: prefix', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), fc.boolean(), (uuid, urn, upper) => {
        const spelled = `${urn ? 'urn:uuid:' : ''}${upper ? uuid.toUpperCase() : uuid}`;
        expect(canonicalUuid(spelled)).toBe(uuid.toLowerCase());
      }),
    );
  });

  it('refuses what is not a UUID, braces included (ClickHouse reads none of them)', () => {
    for (const value of [
      '',
      'abc',
      '{0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}',
      'urn:uuid:',
      '0190a1b2c3d47e5f8a9b0c1d2e3f4a5b',
    ])
      expect(canonicalUuid(value)).toBeNull();
    expect(() => storableUuid('nope', 'id')).toThrow(UnstorableValueError);
  });
});

describe('well-formed strings', () => {
  it('finds a lone surrogate wherever it is, and none in any well-formed string', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => loneSurrogateIndex(text) === -1));
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii' }),
        lone,
        fc.string({ unit: 'grapheme-ascii' }),
        (a, s, b) => {
          expect(loneSurrogateIndex(`${a}${s}${b}`)).toBe(a.length);
        },
      ),
    );
    expect(loneSurrogateIndex('😀')).toBe(-1);
    expect(() => storableString('tag\ud800', 'payload.tags.a')).toThrow(
      expect.objectContaining({ field: 'payload.tags.a' }),
    );
  });
});

describe('findUnstorableValue (the walk before the schemas)', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 1; i < depth; i++) value = { a: value };
    return value;
  };

  it(`takes nesting up to ${MAX_JSON_DEPTH} levels and refuses one more, naming the path`, () => {
    expect(findUnstorableValue(nested(MAX_JSON_DEPTH + 1))).toBeNull();
    const finding = findUnstorableValue(nested(MAX_JSON_DEPTH + 2));
    expect(finding?.field).toBe(Array(MAX_JSON_DEPTH).fill('a').join('.'));
    expect(finding?.message).toMatch(/nested deeper than 32 levels/);
  });

  it('walks a body nested 200,000 levels without growing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findUnstorableValue({ searchSpace: { lr: deep } })?.field).toBe(
      `searchSpace.lr${'[0]'.repeat(MAX_JSON_DEPTH - 2)}`,
    );
  });

  it('names a number out of range, a lone surrogate in a value or in a key, as fieldPath writes it', () => {
    expect(findUnstorableValue(JSON.parse('{"searchSpace":{"lr":{"max":1e400}}}'))).toEqual({
      field: 'searchSpace.lr.max',
      message: expect.stringMatching(/not finite/),
    });
    expect(findUnstorableValue({ metrics: [{ values: [1, -Infinity] }] })?.field).toBe(
      'metrics[0].values[1]',
    );
    expect(findUnstorableValue({ path: 'a/\udc00' })?.field).toBe('path');
    expect(findUnstorableValue({ tags: { 'k\ud800': 'v' } })?.field).toBe('tags.k\ud800');
    expect(findUnstorableValue('\ud800')?.field).toBe('body');
  });

  it('passes every JSON value of well-formed strings and finite numbers within the depth', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'small', maxDepth: 10 }), (text) => {
        expect(findUnstorableValue(JSON.parse(text))).toBeNull();
      }),
    );
  });

  it('reports the first fault among a container’s own values', () => {
    expect(findUnstorableValue({ a: 1, b: '\ud800', c: '\udc00' })?.field).toBe('b');
  });
});
