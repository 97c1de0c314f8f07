import type { ClickhouseReader, MeasuredRows } from '../ports';

/*
 * A bucket query's answer (series-overlay-sql.ts) as ClickHouse sends it: one row per series, one array per field.
 */

type RawNumber = string | number;

/** One bucket of one series: its count, finite summary, extremes (as points), first and last point. */
export interface OverlayBucketRow {
  runId: string;
  key: string;
  /** Only when the source tells workers apart (the `each` view). */
  worker?: string;
  slot: RawNumber;
  points: RawNumber;
  finite: RawNumber;
  sum: RawNumber;
  minValue: RawNumber;
  minStep: RawNumber;
  minTs: RawNumber;
  maxValue: RawNumber;
  maxStep: RawNumber;
  maxTs: RawNumber;
  firstStep: RawNumber;
  firstValue: RawNumber;
  firstTs: RawNumber;
  lastX: RawNumber;
  lastValue: RawNumber;
}

const BUCKET_FIELDS = [
  'slot',
  'points',
  'finite',
  'sum',
  'minValue',
  'minStep',
  'minTs',
  'maxValue',
  'maxStep',
  'maxTs',
  'firstStep',
  'firstValue',
  'firstTs',
  'lastX',
  'lastValue',
] as const satisfies readonly (keyof OverlayBucketRow)[];

/** One series' buckets as one list per field, and the order of its buckets by slot (x order). */
export interface SeriesBucketLists {
  runId: string;
  key: string;
  /** Only when the source tells workers apart (the `each` view). */
  worker?: string;
  lists: Record<(typeof BUCKET_FIELDS)[number], RawNumber[]>;
  order: number[];
}

/** Bucket `i` of a series as one row (for its extreme points). */
export function bucketRowAt(series: SeriesBucketLists, i: number): OverlayBucketRow {
  const { lists } = series;
  return {
    runId: series.runId,
    key: series.key,
    slot: lists.slot[i],
    points: lists.points[i],
    finite: lists.finite[i],
    sum: lists.sum[i],
    minValue: lists.minValue[i],
    minStep: lists.minStep[i],
    minTs: lists.minTs[i],
    maxValue: lists.maxValue[i],
    maxStep: lists.maxStep[i],
    maxTs: lists.maxTs[i],
    firstStep: lists.firstStep[i],
    firstValue: lists.firstValue[i],
    firstTs: lists.firstTs[i],
    lastX: lists.lastX[i],
    lastValue: lists.lastValue[i],
  };
}

/**
 * A bucket query's answer as one row per series holding one array per field (groupArray): 100 series of 500
 * buckets parse as 100 rows of arrays, not 50,000 objects, and are read without making one. The arrays of a
 * series list its buckets in the same order; the slots give their x order.
 */
export async function bucketsBySeries(
  reader: ClickhouseReader,
  query: { name: string; series: string; sql: string; params: Record<string, unknown> },
): Promise<MeasuredRows<SeriesBucketLists>> {
  const aliases = query.series.split(',').map((column) => column.trim().split(/\s+/).at(-1)!);
  const arrays = BUCKET_FIELDS.map((field) => `groupArray(${field}) AS list_${field}`).join(', ');
  const grouped = await reader.queryMeasured<Record<string, unknown>>({
    name: query.name,
    sql: `SELECT ${aliases.join(', ')}, ${arrays} FROM (${query.sql}) GROUP BY ${aliases.join(', ')}`,
    params: query.params,
  });
  const rows = grouped.rows.map((series): SeriesBucketLists => {
    const lists = Object.fromEntries(
      BUCKET_FIELDS.map((field) => [field, series[`list_${field}`] as RawNumber[]]),
    ) as SeriesBucketLists['lists'];
    const slots = lists.slot.map(Number);
    const order = slots.map((_, i) => i).sort((x, y) => slots[x] - slots[y]);
    return {
      runId: series.runId as string,
      key: series.key as string,
      ...(series.worker !== undefined && { worker: series.worker as string }),
      lists,
      order,
    };
  });
  return { rows, rowsRead: grouped.rowsRead };
}
