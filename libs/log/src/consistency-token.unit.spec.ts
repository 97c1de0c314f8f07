import fc from 'fast-check';
import {
  decodeConsistencyHeader,
  encodeConsistencyToken,
  InvalidConsistencyTokenError,
  MAX_TOKENS_PER_HEADER,
  type WritePosition,
} from './consistency-token';

const position = fc.record({
  topic: fc.constantFrom('runlog.lifecycle', 'runlog.metrics'),
  partition: fc.integer({ min: 0, max: 3 }),
  offset: fc.integer({ min: 0, max: 1e9 }),
});

const key = (p: WritePosition) => `${p.topic}/${p.partition}`;

describe('a consistency header of several tokens', () => {
  it('waits for the latest position of every partition any of its tokens names', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(position, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 16 }),
        fc.constantFrom(',', ', ', ' ,  '),
        (tokens, separator) => {
          const header = tokens.map((positions) => encodeConsistencyToken(positions)).join(separator);
          const expected = new Map<string, number>();
          for (const p of tokens.flat()) expected.set(key(p), Math.max(expected.get(key(p)) ?? -1, p.offset));
          const decoded = decodeConsistencyHeader(header);
          expect(new Map(decoded.map((p) => [key(p), p.offset]))).toEqual(expected);
          expect(decoded).toHaveLength(expected.size);
        },
      ),
    );
  });

  it(`takes 1 to ${MAX_TOKENS_PER_HEADER} tokens and refuses none, more, or any bad one`, () => {
    const one = encodeConsistencyToken([{ topic: 'runlog.metrics', partition: 0, offset: 5 }]);
    for (const count of [1, MAX_TOKENS_PER_HEADER]) {
      expect(decodeConsistencyHeader(Array(count).fill(one).join(','))).toHaveLength(1);
    }
    for (const header of [
      Array(MAX_TOKENS_PER_HEADER + 1)
        .fill(one)
        .join(','),
      '',
      ' , ',
      `${one}, not-a-token`,
    ]) {
      expect(() => decodeConsistencyHeader(header)).toThrow(InvalidConsistencyTokenError);
    }
  });
});
