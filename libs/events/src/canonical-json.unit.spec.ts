import canonicalize from 'canonicalize';
import { canonicalJson } from './envelope';

/** A deterministic pseudo-random generator, so a failure reproduces. */
function generator(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    case 3:
      return Math.floor(random() * 1e6);
    case 4:
      return String.fromCharCode(
        ...Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * 0x2fff)),
      );
    case 5:
      return Array.from({ length: Math.floor(random() * 50) }, () => random() * 100);
    case 6:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(random() * 5); i++) {
        object[String.fromCharCode(97 + Math.floor(random() * 26), 0x41 + Math.floor(random() * 0x500))] =
          randomValue(random, depth + 1);
      }
      return object;
    }
  }
}

describe('canonicalJson (RFC 8785)', () => {
  it('matches the reference implementation on 2,000 random documents', () => {
    const random = generator(42);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(random, 0);
      expect(canonicalJson(value)).toBe(canonicalize(value));
    }
  });

  it('sorts keys at every depth and writes numbers in their shortest form', () => {
    expect(canonicalJson({ b: [1e21, 0.1, -0], a: { d: 1, c: 'é' } })).toBe(
      '{"a":{"c":"é","d":1},"b":[1e+21,0.1,0]}',
    );
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(() => canonicalJson({ v: [1, NaN] })).toThrow(TypeError);
    expect(() => canonicalJson(Infinity)).toThrow(TypeError);
  });
});
