import type { ClickhouseReader } from '../ports';
import { recordingReader } from '../testing/recording-ports';
import { findArtifacts } from './artifacts.table';
import { countOpenDeadLetters, listDeadLetters } from './dead-letters.table';
import { getStreamEvents, projectedEventOffsets } from './events.table';
import { getExperiment, listExperiments } from './experiments.table';
import { getMetricSeries } from './metric-series';
import {
  getRawBounds,
  getRawBuckets,
  getRawLttb,
  getRawOverlayPoints,
  getRollupBuckets,
  getRollupLttb,
  getStepBounds,
} from './series-overlay-sql';
import { pointSource } from './series-overlay-workers';
import { getRunWorkers } from './metric-points.table';
import { getMetricSummaries } from './metric-summary.table';
import { getRunParams } from './params.table';
import { getProjectionWatermarks, tableHoldsPosition } from './projected-tables';
import { findInputs } from './run-inputs.table';
import { childrenOf, findRuns, getRun, listRuns } from './runs.table';
import { getStoreIdentity } from './store-identity.table';
import { getSweeps } from './sweeps.table';
import { getRunTags } from './tags.table';

/**
 * The SQL every read renders, snapshotted (like immich's checked-in queries): a change to a query shows in review
 * as a changed snapshot. The recording reader answers no rows unless scripted; no ClickHouse is involved.
 */
const OVERLAY = { runIds: ['run-1', 'run-2'], keys: ['loss'] };
const ORIGINS = new Map([['run-1', 1_700_000_000_000]]);
const GRID = { lo: 0, hi: 99_999, width: 200 };

describe('table reads', () => {
  it.each([
    ['runs: findRuns, no filter', (r) => findRuns(r, { includeDeleted: true }, 50)],
    [
      'runs: findRuns, every filter',
      (r) => findRuns(r, { experimentId: 'e', sweepId: 's', parentRunId: 'p', includeDeleted: false }, 50),
    ],
    ['runs: getRun', (r) => getRun(r, 'run-1')],
    ['runs: childrenOf', (r) => childrenOf(r, ['run-1', 'run-2'])],
    ['runs: listRuns', (r) => listRuns(r, 'exp-1', 10)],
    ['experiments: getExperiment', (r) => getExperiment(r, 'exp-1')],
    ['experiments: listExperiments, archived too', (r) => listExperiments(r, true, 10)],
    ['experiments: listExperiments, live only', (r) => listExperiments(r, false, 10)],
    ['sweeps: getSweeps', (r) => getSweeps(r, ['sweep-1'])],
    ['run_inputs: findInputs by run', (r) => findInputs(r, { runId: 'run-1' })],
    ['run_inputs: findInputs by digest', (r) => findInputs(r, { digest: 'sha256:ab' })],
    ['artifacts: findArtifacts by run', (r) => findArtifacts(r, { runId: 'run-1' })],
    [
      'artifacts: findArtifacts by run and prefix',
      (r) => findArtifacts(r, { runId: 'run-1', prefix: 'ckpt/' }),
    ],
    ['artifacts: findArtifacts by digest', (r) => findArtifacts(r, { digest: 'sha256:ab' })],
    ['params: getRunParams', (r) => getRunParams(r, ['run-1', 'run-2'])],
    ['tags: getRunTags', (r) => getRunTags(r, ['run-1', 'run-2'])],
    ['metric_summary: getMetricSummaries', (r) => getMetricSummaries(r, ['run-1', 'run-2'])],
    ['events: getStreamEvents', (r) => getStreamEvents(r, 'run:run-1', 100)],
    ['events: projectedEventOffsets', (r) => projectedEventOffsets(r, 'run:run-1')],
    ['dead_letters: listDeadLetters', (r) => listDeadLetters(r, 'open', 10)],
    ['dead_letters: countOpenDeadLetters', (r) => countOpenDeadLetters(r)],
    [
      'projected tables: getProjectionWatermarks',
      (r) => getProjectionWatermarks(r, 'metric_points', 'metrics'),
    ],
    [
      'projected tables: tableHoldsPosition',
      (r) => tableHoldsPosition(r, 'events', { topic: 'lifecycle', partition: 0, offset: 7 }),
    ],
    ['store_identity: getStoreIdentity', (r) => getStoreIdentity(r)],
    ['overlay: getStepBounds, zoomed', (r) => getStepBounds(r, OVERLAY, { lo: -5, hi: 20_000 }, 10_000)],
    ['overlay: getRawBounds, relative time', (r) => getRawBounds(r, OVERLAY, 'relative_time', ORIGINS, {})],
    ['overlay: getRawBuckets, wall time', (r) => getRawBuckets(r, OVERLAY, 'wall_time', null, GRID)],
    ['overlay: getRollupBuckets', (r) => getRollupBuckets(r, OVERLAY, 100, GRID)],
    ['overlay: getRawOverlayPoints', (r) => getRawOverlayPoints(r, OVERLAY, 'step', null, GRID, 1001)],
    ['overlay: getRawLttb', (r) => getRawLttb(r, OVERLAY, 'step', null, GRID, 300)],
    ['overlay: getRollupLttb', (r) => getRollupLttb(r, OVERLAY, 1000, GRID, 300)],
    [
      'overlay: getRawBounds, a series per worker',
      (r) => getRawBounds(r, OVERLAY, 'step', null, {}, pointSource(r, 'each')),
    ],
    [
      'overlay: getRawBuckets, the mean over workers',
      (r) => getRawBuckets(r, OVERLAY, 'step', null, GRID, pointSource(r, 'mean')),
    ],
    [
      'overlay: getRawOverlayPoints, a series per worker',
      (r) => getRawOverlayPoints(r, OVERLAY, 'step', null, GRID, 1001, pointSource(r, 'each')),
    ],
    [
      'overlay: getRawLttb, the minimum over workers',
      (r) => getRawLttb(r, OVERLAY, 'wall_time', null, GRID, 300, pointSource(r, 'min')),
    ],
    ['metric_points: getRunWorkers', (r) => getRunWorkers(r, ['run-1', 'run-2'])],
  ] satisfies [string, (reader: ClickhouseReader) => Promise<unknown>][])('%s', async (_, read) => {
    const { reader, operations } = recordingReader();
    await read(reader);
    expect(operations).toMatchSnapshot();
  });
});

describe('metric series reads (metric_points and its rollups)', () => {
  const bounds = (lo: number, hi: number, points: number) => [{ lo, hi, points }];

  it('answers a long series from a rollup: bounds from the coarsest, buckets from the chosen one', async () => {
    const { reader, operations } = recordingReader({
      getRollupSeriesBounds: bounds(0, 9_999_999, 10_000_000),
    });
    await getMetricSeries(reader, { runId: 'run-1', key: 'loss', maxPoints: 1000 });
    expect(operations.map((operation) => operation.name)).toEqual([
      'getRollupSeriesBounds',
      'getRollupSeriesBuckets',
    ]);
    expect(operations).toMatchSnapshot();
  });

  it('downsamples a series within the read budget from raw points', async () => {
    const { reader, operations } = recordingReader({ getRollupSeriesBounds: bounds(0, 2999, 3000) });
    await getMetricSeries(reader, { runId: 'run-1', key: 'loss', maxPoints: 1000 });
    expect(operations.map((operation) => operation.name)).toEqual([
      'getRollupSeriesBounds',
      // Raw points still there? Raw against the finest rollup's count over the same buckets (retention).
      'getRawSeriesBounds',
      'getRollupSeriesBuckets',
      'getRawSeriesBuckets',
    ]);
    expect(operations).toMatchSnapshot();
  });

  it('reads a zoomed-in range as raw points, counted exactly first', async () => {
    const { reader, operations } = recordingReader({
      getRollupSeriesBounds: bounds(0, 99, 100),
      getRawSeriesBounds: bounds(10, 50, 41),
    });
    await getMetricSeries(reader, { runId: 'run-1', key: 'loss', maxPoints: 1000, fromStep: 10, toStep: 50 });
    expect(operations.map((operation) => operation.name)).toEqual([
      'getRollupSeriesBounds',
      'getRawSeriesBounds',
      'getRollupSeriesBuckets',
      'getRawSeriesBounds',
      'getRawPoints',
    ]);
    expect(operations).toMatchSnapshot();
  });

  it('answers from the finest rollup, and says so, when raw points of the range are gone', async () => {
    const bucket = { points: 10, finite: 10, minStep: 13, minValue: -1, minTs: 5, maxStep: 11, maxValue: 9 };
    const { reader, operations } = recordingReader({
      getRollupSeriesBounds: bounds(0, 99, 100),
      getRawSeriesBounds: [{ lo: null, hi: null, points: 0 }],
      getRollupSeriesBuckets: [{ ...bucket, maxTs: 6, firstStep: 10, firstValue: 3, firstTs: 5 }],
    });
    const series = await getMetricSeries(reader, {
      runId: 'run-1',
      key: 'loss',
      maxPoints: 1000,
      fromStep: 10,
      toStep: 50,
    });
    expect(series).toMatchObject({
      rawPointsExpired: true,
      resolution: 10,
      downsampled: true,
      totalPoints: 10,
    });
    expect(series.points).toEqual([
      { step: 11, value: 9, timestamp: 6 },
      { step: 13, value: -1, timestamp: 5 },
    ]);
    expect(operations.map((operation) => operation.name)).toEqual([
      'getRollupSeriesBounds',
      'getRawSeriesBounds',
      'getRollupSeriesBuckets',
      'getRollupSeriesBuckets',
    ]);
    expect(operations).toMatchSnapshot();
  });
});
