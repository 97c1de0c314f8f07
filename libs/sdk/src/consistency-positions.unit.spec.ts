import fc from 'fast-check';
import { ConsistencyPositions } from './consistency-positions';

const token = (positions: [string, number, number][]) =>
  Buffer.from(JSON.stringify(positions)).toString('base64url');
const decode = (header: string) => JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown[];

describe("a run's consistency positions", () => {
  it('keep the latest offset of every topic partition any answer named, in one token', () => {
    const triple = fc.tuple(
      fc.constantFrom('runlog.lifecycle', 'runlog.metrics'),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 1e9 }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(triple, { minLength: 1, maxLength: 3 }), { minLength: 1 }), (answers) => {
        const positions = new ConsistencyPositions();
        for (const answer of answers) positions.add(token(answer));
        const expected = new Map<string, number>();
        for (const [topic, partition, offset] of answers.flat()) {
          const key = `${topic}/${partition}`;
          expected.set(key, Math.max(expected.get(key) ?? -1, offset));
        }
        const header = positions.header()!;
        expect(header).not.toContain(',');
        const merged = decode(header) as [string, number, number][];
        expect(new Map(merged.map(([t, p, o]) => [`${t}/${p}`, o]))).toEqual(expected);
      }),
    );
  });

  it('a resume written by a metrics answer is not lost to a later metrics answer', () => {
    const positions = new ConsistencyPositions();
    positions.add(token([['runlog.lifecycle', 0, 10]]));
    positions.add(
      token([
        ['runlog.metrics', 1, 5],
        ['runlog.lifecycle', 0, 12],
      ]),
    );
    positions.add(token([['runlog.metrics', 1, 9]]));
    expect(decode(positions.header()!)).toEqual([
      ['runlog.lifecycle', 0, 12],
      ['runlog.metrics', 1, 9],
    ]);
  });

  it('passes tokens it cannot read along as they are, and has no header before any answer', () => {
    const positions = new ConsistencyPositions();
    expect(positions.header()).toBeUndefined();
    positions.add('not-ours');
    positions.add(token([['runlog.metrics', 0, 1]]));
    expect(positions.header()!.split(', ')).toEqual([token([['runlog.metrics', 0, 1]]), 'not-ours']);
  });
});
