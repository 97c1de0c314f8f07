import fc from 'fast-check';
import type { ProjectedTable } from '../../../../libs/store/src';
import { classifyInsertFailure, EngineUnavailableError } from './insert-errors';
import {
  insertIsolatingFailures,
  RowBuildFailure,
  type DeadLetterDraft,
  type IsolationDeps,
} from './isolate-failed-inserts';

/** Shaped as @clickhouse/client's ClickHouseError, which both the HTTP client and chDB throw. */
function engineError(type: string, code: string): Error {
  return Object.assign(new Error(`${type} happened`), { code, type });
}

const socketError = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });

/**
 * Records are offsets; each goes to `events` and `metric_points`. The fake keeps the projector's watermark rule
 * (a table that took a range is not given it again) and refuses, per table, the offsets it is told are bad.
 */
function fakeEngine(options: {
  refuse?: Partial<Record<ProjectedTable, Set<number>>>;
  failWith?: () => Error;
  throwOnBuild?: Set<number>;
  pings?: boolean;
}) {
  const stored: Record<string, number[]> = { events: [], metric_points: [] };
  const marks = new Map<ProjectedTable, number>();
  const deadLetters: { offset: number; letter: DeadLetterDraft }[] = [];
  let inserts = 0;
  const deps: IsolationDeps<number> = {
    build: async (records) => {
      const culprit = records.find((offset) => options.throwOnBuild?.has(offset));
      if (culprit !== undefined) throw new RowBuildFailure(culprit, new RangeError('not storable'));
      const lines: Partial<Record<ProjectedTable, string[]>> = {};
      for (const table of ['events', 'metric_points'] as const) {
        lines[table] = records.filter((offset) => offset > (marks.get(table) ?? -1)).map(String);
      }
      return {
        lines,
        landed: (tables) => tables.forEach((table) => marks.set(table, records[records.length - 1])),
      };
    },
    insert: async (table, rows) => {
      const lines = rows as readonly string[];
      inserts += 1;
      const bad = lines.map(Number).find((offset) => options.refuse?.[table]?.has(offset));
      if (bad !== undefined) throw options.failWith?.() ?? engineError('CANNOT_PARSE_DATETIME', '41');
      stored[table].push(...lines.map(Number));
    },
    ping: async () => options.pings ?? true,
    deadLetter: async (offset, letter) => {
      deadLetters.push({ offset, letter });
    },
  };
  return { deps, stored, deadLetters, inserts: () => inserts };
}

const offsets = (n: number) => Array.from({ length: n }, (_, index) => index * 3 + 1);

describe('insertIsolatingFailures', () => {
  it.each([0, 1, 17, 36])(
    'finds the one bad record (index %i of 37) and projects every other once',
    async (at) => {
      const records = offsets(37);
      const bad = records[at];
      const engine = fakeEngine({ refuse: { metric_points: new Set([bad]) } });
      await insertIsolatingFailures(records, engine.deps);
      expect(engine.deadLetters).toEqual([
        {
          offset: bad,
          letter: expect.objectContaining({ reason: 'insert_failed', tables: ['metric_points'] }),
        },
      ]);
      expect(engine.stored.metric_points).toEqual(records.filter((offset) => offset !== bad));
      // The other table took the whole range at once and was not written again while the bad one was narrowed down.
      expect(engine.stored.events).toEqual(records);
      // log2(37) rounds: a handful of inserts, not one per record.
      expect(engine.inserts()).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(37)) + 2);
    },
  );

  it('keeps the engine error text, per table, in the letter', async () => {
    const engine = fakeEngine({ refuse: { events: new Set([4]), metric_points: new Set([4]) } });
    await insertIsolatingFailures(offsets(3), engine.deps);
    const { letter } = engine.deadLetters[0];
    expect(letter.tables).toEqual(['events', 'metric_points']);
    expect(String(letter.error)).toContain('events: CANNOT_PARSE_DATETIME: CANNOT_PARSE_DATETIME happened');
  });

  it('dead-letters every bad record and nothing else, whatever their number and place', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat(n - 1), { maxLength: n }))),
        async ([n, badIndexes]) => {
          const records = offsets(n);
          const bad = new Set(badIndexes.map((index) => records[index]));
          const engine = fakeEngine({ refuse: { metric_points: bad } });
          await insertIsolatingFailures(records, engine.deps);
          expect(engine.deadLetters.map(({ offset }) => offset)).toEqual(records.filter((o) => bad.has(o)));
          expect(engine.stored.metric_points).toEqual(records.filter((o) => !bad.has(o)));
          expect(engine.stored.events).toEqual(records);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['MEMORY_LIMIT_EXCEEDED', () => engineError('MEMORY_LIMIT_EXCEEDED', '241')],
    ['TOO_MANY_PARTS', () => engineError('TOO_MANY_PARTS', '252')],
    ['TABLE_IS_READ_ONLY', () => engineError('TABLE_IS_READ_ONLY', '242')],
    ['an error never seen before', () => engineError('SOMETHING_NEW', '9999')],
    ['ECONNREFUSED', socketError],
    ['a timeout', () => new Error('Timeout error.')],
  ])('retries (throws) on %s and dead-letters nothing', async (_, failWith) => {
    const engine = fakeEngine({ refuse: { metric_points: new Set([7]) }, failWith });
    await expect(insertIsolatingFailures(offsets(9), engine.deps)).rejects.toBeInstanceOf(Error);
    expect(engine.deadLetters).toEqual([]);
    // Not narrowed down: one attempt per table, then the subscription's backoff.
    expect(engine.inserts()).toBe(2);
  });

  it('never dead-letters while the engine does not answer a ping', async () => {
    const engine = fakeEngine({ refuse: { metric_points: new Set([7]) }, pings: false });
    await expect(insertIsolatingFailures(offsets(9), engine.deps)).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
    expect(engine.deadLetters).toEqual([]);
  });

  it('dead-letters a record whose rows cannot be built, and projects the rest', async () => {
    const records = offsets(10);
    const engine = fakeEngine({ throwOnBuild: new Set([records[3], records[8]]) });
    await insertIsolatingFailures(records, engine.deps);
    expect(engine.deadLetters.map(({ offset, letter }) => [offset, letter.reason])).toEqual([
      [records[3], 'row_build_failed'],
      [records[8], 'row_build_failed'],
    ]);
    expect(engine.stored.metric_points).toEqual(records.filter((_, index) => index !== 3 && index !== 8));
  });
});

describe('classifyInsertFailure', () => {
  it.each([
    ['CANNOT_PARSE_UUID', '376', 'data'],
    ['CANNOT_PARSE_DATETIME', '41', 'data'],
    ['VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE', '321', 'data'],
    ['TOO_MANY_PARTS', '252', 'transient'],
    ['UNKNOWN_TABLE', '60', 'transient'],
  ])('%s is %s', (type, code, kind) => {
    expect(classifyInsertFailure(engineError(type, code))).toBe(kind);
  });

  it('goes by the code, which leads the message, not by a name that echoed row text can fake', () => {
    // `acc(TOP5)` in a refused row: the client's parser takes the first (NAME)-like group as the type.
    expect(classifyInsertFailure(engineError('TOP5', '27'))).toBe('data');
    // An I/O error sharing the CANNOT_READ_ prefix is no data error.
    expect(classifyInsertFailure(engineError('CANNOT_READ_FROM_SOCKET', '95'))).toBe('transient');
    expect(classifyInsertFailure(engineError('CANNOT_READ_FROM_ISTREAM', '23'))).toBe('transient');
  });

  it('a socket error is transient even when it carries a type-like field', () => {
    expect(classifyInsertFailure(Object.assign(socketError(), { type: 'CANNOT_PARSE_UUID' }))).toBe(
      'transient',
    );
  });
});
