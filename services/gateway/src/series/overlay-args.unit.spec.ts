import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import fc from 'fast-check';
import { parse, type GraphQLSchema } from 'graphql';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { estimateQueryCost } from '../limits/query-cost';
import { OVERLAY_LIMITS, overlayQuery, type OverlayArgs } from './overlay-args';
import { DownsampleMethod, SeriesXAxis, WorkerView } from './series.models';
import { SeriesResolver } from './series.resolver';

const base: OverlayArgs = {
  runIds: ['r1'],
  keys: ['loss'],
  maxPoints: 100,
  xAxis: SeriesXAxis.STEP,
  method: DownsampleMethod.MINMAX,
};

function refusal(args: OverlayArgs): { field: string } | null {
  try {
    overlayQuery(args);
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { field: error.field ?? '' };
  }
}

const ids = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('overlay arguments', () => {
  it('takes maxPoints from 2 to 10,000 and refuses every other number, naming maxPoints', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.double()), (maxPoints) => {
        const inRange =
          Number.isInteger(maxPoints) && maxPoints >= 2 && maxPoints <= OVERLAY_LIMITS.maxPoints;
        expect(refusal({ ...base, maxPoints })).toEqual(inRange ? null : { field: 'maxPoints' });
      }),
    );
    for (const [maxPoints, ok] of [
      [1, false],
      [2, true],
      [10_000, true],
      [10_001, false],
    ] as const) {
      expect(refusal({ ...base, maxPoints }) === null).toBe(ok);
    }
  });

  it('takes 1 to 100 distinct runs and 1 to 50 keys, at most 500 series, naming the list at fault', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: 60 }), (runs, keys) => {
        const answer = refusal({ ...base, runIds: ids(runs), keys: ids(keys, 'k') });
        if (runs === 0 || runs > OVERLAY_LIMITS.maxRuns) expect(answer).toEqual({ field: 'runIds' });
        else if (keys === 0 || keys > OVERLAY_LIMITS.maxKeys) expect(answer).toEqual({ field: 'keys' });
        else if (runs * keys > OVERLAY_LIMITS.maxSeries) expect(answer).toEqual({ field: 'keys' });
        else expect(answer).toBeNull();
      }),
    );
    // Repeats are one run: 150 copies of one id is one series.
    expect(refusal({ ...base, runIds: Array(150).fill('same') })).toBeNull();
    expect(refusal({ ...base, keys: [''] })).toEqual({ field: 'keys' });
  });

  it('takes a zoom of whole numbers in order, naming the bound at fault', () => {
    fc.assert(
      fc.property(
        fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53))),
        fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(-(2 ** 53)))),
        (from, to) => {
          const answer = refusal({ ...base, range: { from: from ?? undefined, to: to ?? undefined } });
          if (from !== null && !Number.isSafeInteger(from)) expect(answer).toEqual({ field: 'range.from' });
          else if (to !== null && !Number.isSafeInteger(to)) expect(answer).toEqual({ field: 'range.to' });
          else if (from !== null && to !== null && from > to) expect(answer).toEqual({ field: 'range.from' });
          else expect(answer).toBeNull();
        },
      ),
    );
  });
});

describe('overlay worker views', () => {
  it('default to ALL and pass the view asked on to the store', () => {
    expect(overlayQuery(base).workers).toBe('all');
    for (const view of Object.values(WorkerView))
      expect(overlayQuery({ ...base, workers: view }).workers).toBe(view);
  });
});

describe('overlay cost', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
    try {
      schema = await app.get(GraphQLSchemaFactory).create([SeriesResolver]);
    } finally {
      await app.close();
    }
  });

  const costOf = (query: string) => {
    const estimate = estimateQueryCost({ schema, document: parse(query) });
    if (estimate.kind !== 'costed') throw new Error(estimate.kind);
    return estimate.cost;
  };

  it('counts the points every series may return, whatever the selection', () => {
    const select = 'series { runId points { x value } }';
    const one = costOf(`{ metricSeries(runIds: ["a"], keys: ["loss"], maxPoints: 1000) { ${select} } }`);
    const hundred = costOf(
      `{ metricSeries(runIds: [${ids(100).map((id) => `"${id}"`)}], keys: ["loss"], maxPoints: 1000) { ${select} } }`,
    );
    expect(one).toBeGreaterThanOrEqual(1000);
    expect(hundred).toBe(100 * one);
    const twoKeys = costOf(
      `{ metricSeries(runIds: ["a"], keys: ["loss", "acc"], maxPoints: 1000) { ${select} } }`,
    );
    expect(twoKeys).toBe(2 * one);
    // MINMAX also answers maxPoints / 2 buckets per series; LTTB and RAW only points.
    const lttb = costOf(
      `{ metricSeries(runIds: ["a"], keys: ["loss"], maxPoints: 1000, method: LTTB) { ${select} } }`,
    );
    expect(one - lttb).toBe(500);
    const fewer = costOf(`{ metricSeries(runIds: ["a"], keys: ["loss"], maxPoints: 10) { ${select} } }`);
    expect(fewer).toBeLessThan(one / 50);
  });

  it('costs EACH at the most workers it draws per (run, key); the aggregated views as one series', () => {
    const select = 'series { runId worker points { x value } }';
    const view = (workers: string) =>
      costOf(
        `{ metricSeries(runIds: ["a"], keys: ["loss"], maxPoints: 1000, workers: ${workers}) { ${select} } }`,
      );
    expect(view('EACH')).toBe(OVERLAY_LIMITS.maxWorkersPerSeries * view('ALL'));
    for (const aggregated of ['MEAN', 'MIN', 'MAX']) expect(view(aggregated)).toBe(view('ALL'));
    expect(costOf(`{ metricSeries(runIds: ["a"], keys: ["loss"], maxPoints: 1000) { ${select} } }`)).toBe(
      view('ALL'),
    );
  });
});
