import { int64, type ClickhouseReader } from '../ports';
import { rollupTable } from './metric-rollups.table';
import {
  getRollupBuckets,
  type Grid,
  type SeriesBucketLists,
  type SeriesSelection,
} from './series-overlay-sql';
import { seriesId } from './series-overlay-workers';
import { bucketStart, ROLLUP_RESOLUTIONS, type RollupResolution } from './series-resolution';

const FINEST: RollupResolution = ROLLUP_RESOLUTIONS[0];

interface SeriesKey {
  runId: string;
  key: string;
}

const selectionOf = (series: SeriesKey[]): SeriesSelection => ({
  runIds: [...new Set(series.map((s) => s.runId))],
  keys: [...new Set(series.map((s) => s.key))],
});

/** The grid's span widened to whole finest-rollup buckets, where raw and rolled-up counts must agree. */
function finestSpan(grid: Grid): { lo: number; hi: number } {
  return { lo: bucketStart(grid.lo, FINEST), hi: bucketStart(grid.hi, FINEST) + FINEST - 1 };
}

/**
 * Which of these series (all of runs with a raw-point age limit) lost raw points in the grid's span: over the whole
 * finest-rollup buckets around it, metric_points then holds fewer points than the rollup counted. Raw points are
 * written before their rollups, so a read racing an insert only ever sees more raw points, never fewer.
 */
export async function expiredRawSeries(
  reader: ClickhouseReader,
  series: SeriesKey[],
  grid: Grid,
): Promise<{ series: SeriesKey[]; rowsRead: number }> {
  const span = finestSpan(grid);
  const selection = selectionOf(series);
  const params = { runIds: selection.runIds, keys: selection.keys, lo: int64(span.lo), hi: int64(span.hi) };
  const where = 'run_id IN {runIds:Array(String)} AND key IN {keys:Array(String)}';
  type Count = { runId: string; key: string; points: string | number };
  const [raw, rolled] = await Promise.all([
    reader.queryMeasured<Count>({
      name: 'getOverlayRawCounts',
      sql: `SELECT run_id AS runId, key, count() AS points FROM ${reader.database}.metric_points
       WHERE ${where} AND step >= {lo:Int64} AND step <= {hi:Int64} GROUP BY run_id, key`,
      params,
    }),
    reader.queryMeasured<Count>({
      name: 'getOverlayRolledCounts',
      sql: `SELECT run_id AS runId, key, sum(count) AS points FROM ${rollupTable(reader, FINEST)}
       WHERE ${where} AND bucket >= {lo:Int64} AND bucket <= {hi:Int64} GROUP BY run_id, key`,
      params,
    }),
  ]);
  const id = (row: SeriesKey) => seriesId(row.runId, row.key);
  const rawCounts = new Map(raw.rows.map((row) => [id(row), Number(row.points)]));
  const rolledCounts = new Map(rolled.rows.map((row) => [id(row), Number(row.points)]));
  return {
    series: series.filter((s) => (rawCounts.get(id(s)) ?? 0) < (rolledCounts.get(id(s)) ?? 0)),
    rowsRead: raw.rowsRead + rolled.rowsRead,
  };
}

/** These series over the grid's span from the finest rollup, whose buckets keep every point's count and extremes. */
export async function readExpiredFromFinestRollup(
  reader: ClickhouseReader,
  series: SeriesKey[],
  grid: Grid,
  buckets: number,
): Promise<{ rows: SeriesBucketLists[]; rowsRead: number; grid: Grid; resolution: RollupResolution }> {
  const span = finestSpan(grid);
  const rollupRows = (span.hi + 1 - span.lo) / FINEST;
  const finestGrid: Grid = { lo: span.lo, hi: grid.hi, width: FINEST * Math.ceil(rollupRows / buckets) };
  const wanted = new Set(series.map((s) => seriesId(s.runId, s.key)));
  const result = await getRollupBuckets(reader, selectionOf(series), FINEST, finestGrid);
  return {
    rows: result.rows.filter((row) => wanted.has(seriesId(row.runId, row.key))),
    rowsRead: result.rowsRead,
    grid: finestGrid,
    resolution: FINEST,
  };
}
