/**
 * What an overlay chart draws, per series (one run's key, or one worker of it): per bucket its x, the min/max
 * envelope and the last value, so a spike inside a bucket stays visible however far the series is downsampled.
 * Live points are appended, and a series past its budget is halved by merging neighbouring buckets: memory stays
 * bounded however long a run streams.
 */
export type MetricNumber = number | 'NaN' | 'Infinity' | '-Infinity' | null;

export interface SeriesColumns {
  x: number[];
  min: (number | null)[];
  max: (number | null)[];
  last: (number | null)[];
}

export interface ChartSeries {
  id: string;
  runId: string;
  key: string;
  worker: string | null;
  columns: SeriesColumns;
}

/** uPlot's aligned data: one x array, then per series its last, min and max, in that order. */
export type AlignedData = [number[], ...(number | null)[][]];

/** Drawable: NaN and ±Infinity have no place on an axis, so they are gaps (the tables still show them). */
export function drawable(value: MetricNumber | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export interface QueriedSeries {
  runId: string;
  key: string;
  worker: string | null;
  downsampled: boolean;
  bucketColumns: { x: MetricNumber[]; min: MetricNumber[]; max: MetricNumber[]; last: MetricNumber[] };
  pointColumns: { x: MetricNumber[]; value: MetricNumber[] };
}

/** A series as the metricSeries query answered it: buckets when downsampled, else each point is its own. */
export function seriesFromQuery(queried: QueriedSeries): ChartSeries {
  const identity = {
    id: `${queried.runId}/${queried.key}${queried.worker ? `/${queried.worker}` : ''}`,
    runId: queried.runId,
    key: queried.key,
    worker: queried.worker,
  };
  if (queried.downsampled) {
    const { x, min, max, last } = queried.bucketColumns;
    return {
      ...identity,
      columns: {
        x: x.map((value) => drawable(value) ?? 0),
        min: min.map(drawable),
        max: max.map(drawable),
        last: last.map(drawable),
      },
    };
  }
  const values = queried.pointColumns.value.map(drawable);
  return {
    ...identity,
    columns: {
      x: queried.pointColumns.x.map((value) => drawable(value) ?? 0),
      min: values,
      max: values.slice(),
      last: values.slice(),
    },
  };
}

/** Appends live points (x ascending after the series' last x) and keeps the series within `budget` buckets. */
export function appendPoints(
  series: ChartSeries,
  points: { x: number; value: MetricNumber }[],
  budget: number,
): void {
  const columns = series.columns;
  for (const point of points) {
    const value = drawable(point.value);
    const end = columns.x.length - 1;
    // A point at the last bucket's x (a step logged again, or a coarse grid) folds into that bucket.
    if (end >= 0 && point.x <= columns.x[end]) {
      columns.min[end] = lower(columns.min[end], value);
      columns.max[end] = higher(columns.max[end], value);
      columns.last[end] = value ?? columns.last[end];
      continue;
    }
    columns.x.push(point.x);
    columns.min.push(value);
    columns.max.push(value);
    columns.last.push(value);
  }
  while (columns.x.length > budget) halve(columns);
}

function lower(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.min(a, b);
}

function higher(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.max(a, b);
}

/**
 * Merges bucket pairs (x of the first, the envelope of both, the last of the second), all but the newest bucket,
 * which stays as it is: the chart's end is always the latest point's x and value.
 */
function halve(columns: SeriesColumns): void {
  const merged: SeriesColumns = { x: [], min: [], max: [], last: [] };
  const end = columns.x.length - 1;
  for (let i = 0; i < end; i += 2) {
    const j = Math.min(i + 1, end - 1);
    merged.x.push(columns.x[i]);
    merged.min.push(lower(columns.min[i], columns.min[j]));
    merged.max.push(higher(columns.max[i], columns.max[j]));
    merged.last.push(columns.last[j] ?? columns.last[i]);
  }
  merged.x.push(columns.x[end]);
  merged.min.push(columns.min[end]);
  merged.max.push(columns.max[end]);
  merged.last.push(columns.last[end]);
  Object.assign(columns, merged);
}

export /** For each series of a new answer, the points of the same series the page already had past its last x. */
function keepLiveTails(answered: ChartSeries[], before: ChartSeries[]): ChartSeries[] {
  const previous = new Map(before.map((s) => [s.id, s]));
  for (const s of answered) {
    const old = previous.get(s.id);
    if (!old) continue;
    const lastX = s.columns.x.length > 0 ? s.columns.x[s.columns.x.length - 1] : -Infinity;
    old.columns.x.forEach((x, i) => {
      if (x <= lastX) return;
      s.columns.x.push(x);
      s.columns.min.push(old.columns.min[i]);
      s.columns.max.push(old.columns.max[i]);
      s.columns.last.push(old.columns.last[i]);
    });
  }
  return answered;
}

/**
 * Puts every series on one x array, as uPlot draws them. Series on the same grid (the overlay query's buckets)
 * share it as they are; otherwise each is re-bucketed onto `cells` cells of the whole range, so the aligned
 * arrays stay cells long however many runs logged at different x.
 */
export function align(series: ChartSeries[], cells: number): AlignedData {
  if (series.length === 0) return [[]];
  const first = series[0].columns.x;
  const shared = series.every((s) => sameArray(s.columns.x, first));
  if (shared) {
    const out: AlignedData = [first];
    for (const s of series) out.push(s.columns.last, s.columns.min, s.columns.max);
    return out;
  }
  const union = unionOf(series);
  if (union.length <= cells * 2) {
    const index = new Map(union.map((x, i) => [x, i]));
    const out: AlignedData = [union];
    for (const s of series) {
      const last = new Array<number | null>(union.length).fill(null);
      const min = last.slice();
      const max = last.slice();
      s.columns.x.forEach((x, i) => {
        const at = index.get(x)!;
        last[at] = s.columns.last[i];
        min[at] = s.columns.min[i];
        max[at] = s.columns.max[i];
      });
      out.push(last, min, max);
    }
    return out;
  }
  return onGrid(series, union[0], union[union.length - 1], cells);
}

function onGrid(series: ChartSeries[], from: number, to: number, cells: number): AlignedData {
  const width = (to - from) / cells || 1;
  const xs = Array.from({ length: cells }, (_, i) => from + i * width);
  const out: AlignedData = [xs];
  for (const s of series) {
    const last = new Array<number | null>(cells).fill(null);
    const min = last.slice();
    const max = last.slice();
    s.columns.x.forEach((x, i) => {
      const cell = Math.min(cells - 1, Math.floor((x - from) / width));
      min[cell] = lower(min[cell], s.columns.min[i]);
      max[cell] = higher(max[cell], s.columns.max[i]);
      last[cell] = s.columns.last[i] ?? last[cell];
    });
    out.push(last, min, max);
  }
  return out;
}

function unionOf(series: ChartSeries[]): number[] {
  const all = new Set<number>();
  for (const s of series) for (const x of s.columns.x) all.add(x);
  return [...all].sort((a, b) => a - b);
}

function sameArray(a: number[], b: number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Exponential moving average with TensorBoard's debiasing (the first values are not pulled towards zero);
 * gaps stay gaps. `weight` 0 returns the values as they are.
 */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let average = 0;
  let seen = 0;
  return values.map((value) => {
    if (value === null) return null;
    seen += 1;
    average = average * weight + (1 - weight) * value;
    return average / (1 - weight ** seen);
  });
}

/** For a log axis: what is not above zero cannot be placed on it. */
export function positiveOnly(values: (number | null)[]): (number | null)[] {
  return values.map((value) => (value !== null && value > 0 ? value : null));
}
