import type { ClickhouseReader } from '../ports';
import {
  bucketSeries,
  lttbPoints,
  rawOverlayPoint,
  emptySeries,
  type OverlaySeries,
  type SeriesOverlay,
  type SeriesOverlayQuery,
} from './series-overlay-shape';
import { COARSEST_RESOLUTION } from './metric-rollups.table';
import {
  getRawBounds,
  getRawBuckets,
  getRawLttb,
  getRawOverlayPoints,
  getRollupBuckets,
  getRollupLttb,
  getStepBounds,
  type Grid,
  type LttbRow,
  type SeriesBucketLists,
  type RunOrigins,
  type SeriesSelection,
  type XRange,
} from './series-overlay-sql';
import { bucketsFor, planSeriesRead, rawBucketWidth, READ_ROWS_PER_POINT } from './series-resolution';
import { expiredRawSeries, readExpiredFromFinestRollup } from './series-overlay-retention';
import {
  pointSource,
  seriesId,
  WorkersOfSeries,
  type PointSource,
  type WorkerView,
} from './series-overlay-workers';

/*
 * An overlay: the series of many runs and keys, read together and cut into the same buckets of x, so a dashboard
 * draws 100 runs' curves from one request whose ClickHouse queries do not grow with the number of runs. x is the
 * step, the wall-clock time (epoch ms) or the time since the run's first point among the keys asked (ms).
 */

interface Bounds extends XRange {
  points: number;
  retentionDays: number;
}

export type { OverlayAxis } from './series-overlay-sql';
export { MAX_WORKERS_PER_SERIES, TooManyWorkersError, type WorkerView } from './series-overlay-workers';
export type * from './series-overlay-shape';

/**
 * `readable`: the runs the caller may read (every one when absent). The others answer as ids that name nothing:
 * an empty series each, nothing read.
 */
export async function getSeriesOverlay(
  reader: ClickhouseReader,
  query: SeriesOverlayQuery,
  readable?: ReadonlySet<string>,
): Promise<SeriesOverlay> {
  const selection: SeriesSelection = { runIds: [...new Set(query.runIds)], keys: [...new Set(query.keys)] };
  const readSelection = readable
    ? { ...selection, runIds: selection.runIds.filter((runId) => readable.has(runId)) }
    : selection;
  const read = new OverlayRead(reader, query, readSelection, query.workers ?? 'all');
  const answered = readSelection.runIds.length > 0 ? await read.answer() : new Map<string, never>();
  const series = selection.runIds.flatMap((runId) =>
    selection.keys.flatMap((key) =>
      read.view === 'each'
        ? read.workerSeries(runId, key, answered)
        : [answered.get(seriesId(runId, key)) ?? emptySeries(runId, key)],
    ),
  );
  return { from: read.span?.lo ?? null, to: read.span?.hi ?? null, rowsRead: read.rowsRead, series };
}

/** One overlay's read: bounds first, then the method's queries over every series at once. */
class OverlayRead {
  rowsRead = 0;
  span: XRange | null = null;
  private origins: RunOrigins | null = null;
  private bounds = new Map<string, Bounds>();
  private workers = new WorkersOfSeries();
  private readonly source: PointSource;
  /** Rollups are across workers: only the `all` view may be answered from them. */
  private readonly rollups: boolean;

  constructor(
    private readonly reader: ClickhouseReader,
    private readonly query: SeriesOverlayQuery,
    private readonly selection: SeriesSelection,
    readonly view: WorkerView,
  ) {
    this.source = pointSource(reader, view);
    this.rollups = view === 'all';
  }

  /** A long step series of the `all` view is read from a rollup; the other views read raw points. */
  private rollupPlan(span: XRange, maxCount: number) {
    const { axis, maxPoints } = this.query;
    return axis === 'step' && this.rollups ? planSeriesRead({ ...span, points: maxCount }, maxPoints) : null;
  }

  /** The `each` view's series of one (run, key): one per worker with points, in label order (else one empty). */
  workerSeries(runId: string, key: string, answered: Map<string, OverlaySeries>): OverlaySeries[] {
    const workers = this.workers.of(runId, key);
    if (workers.length === 0) return [emptySeries(runId, key)];
    return workers.map((w) => answered.get(seriesId(runId, key, w)) ?? this.newSeries(runId, key, w));
  }

  private get range(): Partial<XRange> {
    return { lo: this.query.from, hi: this.query.to };
  }

  private get wantsPoints(): boolean {
    return this.query.points !== false;
  }

  private bucketSeries(rows: SeriesBucketLists[], grid: Grid, resolution: number) {
    const { axis } = this.query;
    return bucketSeries(rows, { grid, resolution, axis, origins: this.origins, points: this.wantsPoints });
  }

  private get zoomed(): boolean {
    return this.query.from !== undefined || this.query.to !== undefined;
  }

  private measure<T>(result: { rows: T[]; rowsRead: number }): T[] {
    this.rowsRead += result.rowsRead;
    return result.rows;
  }

  async answer(): Promise<Map<string, OverlaySeries>> {
    await this.readBounds();
    const present = [...this.bounds.values()].filter((b) => b.points > 0 && b.lo <= b.hi);
    if (present.length === 0) return new Map();
    this.span = { lo: Math.min(...present.map((b) => b.lo)), hi: Math.max(...present.map((b) => b.hi)) };
    const maxCount = Math.max(...present.map((b) => b.points));
    if (this.query.method === 'raw') return this.readRawPoints();
    if (this.query.method === 'lttb') return this.readLttb(maxCount);
    return this.readMinMax(maxCount);
  }

  private async readBounds(): Promise<void> {
    const { from, to, axis } = this.query;
    if (axis === 'step' && this.rollups) {
      const rows = this.measure(
        await getStepBounds(this.reader, this.selection, this.range, COARSEST_RESOLUTION),
      );
      for (const row of rows) {
        this.bounds.set(seriesId(row.runId, row.key), {
          lo: Math.max(Number(row.lo), from ?? -Infinity),
          hi: Math.min(Number(row.hi), to ?? Infinity),
          points: Number(row.points),
          retentionDays: Number(row.retentionDays),
        });
      }
      return;
    }
    if (axis === 'relative_time') {
      const whole = this.measure(await getRawBounds(this.reader, this.selection, 'wall_time', null, {}));
      this.origins = new Map();
      for (const row of whole) {
        const first = Number(row.lo);
        this.origins.set(row.runId, Math.min(this.origins.get(row.runId) ?? first, first));
      }
    }
    const rows = this.measure(
      await getRawBounds(this.reader, this.selection, axis, this.origins, this.range, this.source),
    );
    if (this.view === 'each') this.workers = new WorkersOfSeries(rows);
    for (const row of rows) {
      this.bounds.set(seriesId(row.runId, row.key, row.worker), {
        lo: Number(row.lo),
        hi: Number(row.hi),
        points: Number(row.points),
        retentionDays: 0,
      });
    }
  }

  /** Exact step bounds from raw points, when a zoom leaves few enough of them to read raw. */
  private async readExactStepBounds(): Promise<void> {
    const rows = this.measure(await getRawBounds(this.reader, this.selection, 'step', null, this.range));
    const retention = new Map([...this.bounds].map(([id, b]) => [id, b.retentionDays]));
    this.bounds.clear();
    for (const row of rows) {
      const id = seriesId(row.runId, row.key);
      const bounds = { lo: Number(row.lo), hi: Number(row.hi), points: Number(row.points) };
      this.bounds.set(id, { ...bounds, retentionDays: retention.get(id) ?? 0 });
    }
    const present = [...this.bounds.values()];
    this.span = present.length
      ? { lo: Math.min(...present.map((b) => b.lo)), hi: Math.max(...present.map((b) => b.hi)) }
      : null;
  }

  private async readRawPoints(): Promise<Map<string, OverlaySeries>> {
    if (this.query.axis === 'step' && this.zoomed && this.rollups) await this.readExactStepBounds();
    const span = this.span;
    if (span === null) return new Map();
    const { maxPoints } = this.query;
    const rows = await this.rawPoints(this.selection, span, maxPoints + 1);
    const answered = new Map<string, OverlaySeries>();
    for (const row of rows) {
      const id = seriesId(row.runId, row.key, row.worker);
      const series = answered.get(id) ?? this.newSeries(row.runId, row.key, row.worker);
      answered.set(id, series);
      if (series.points.length === maxPoints) {
        series.truncated = true;
        continue;
      }
      series.points.push(rawOverlayPoint(row));
    }
    return answered;
  }

  private async readLttb(maxCount: number): Promise<Map<string, OverlaySeries>> {
    const span = this.span as XRange;
    const { maxPoints, axis } = this.query;
    let plan = this.rollupPlan(span, maxCount);
    let rows: LttbRow[] =
      plan?.source === 'rollup'
        ? this.measure(await getRollupLttb(this.reader, this.selection, plan.resolution, span, maxPoints))
        : this.measure(
            await getRawLttb(this.reader, this.selection, axis, this.origins, span, maxPoints, this.source),
          );
    const fewSampled = rows.every((row) => row.sampled.length < maxPoints);
    if (plan?.source === 'rollup' && this.zoomed && fewSampled) {
      // The coarse bounds overcounted a zoom that holds few extremes: the raw points of the zoom answer instead.
      await this.readExactStepBounds();
      if (this.span === null) return new Map();
      rows = this.measure(await getRawLttb(this.reader, this.selection, axis, null, this.span, maxPoints));
      plan = null;
    }
    const answered = new Map<string, OverlaySeries>();
    for (const row of rows) {
      const series = this.newSeries(row.runId, row.key, row.worker);
      series.resolution = plan?.source === 'rollup' ? plan.resolution : 1;
      series.downsampled = series.totalPoints > maxPoints || series.resolution > 1;
      series.points = lttbPoints(row.sampled, axis, this.origins?.get(row.runId) ?? 0);
      answered.set(seriesId(row.runId, row.key, row.worker), series);
    }
    return answered;
  }

  private async readMinMax(maxCount: number): Promise<Map<string, OverlaySeries>> {
    const span = this.span as XRange;
    const { maxPoints } = this.query;
    const plan = this.rollupPlan(span, maxCount);
    if (plan?.source === 'rollup') {
      const grid: Grid = { lo: plan.origin, hi: span.hi, width: plan.width };
      const rows = this.measure(
        await getRollupBuckets(this.reader, this.selection, plan.resolution, grid, this.wantsPoints),
      );
      const answered = this.bucketSeries(rows, grid, plan.resolution);
      const mostInBuckets = Math.max(...[...answered.values()].map((series) => series.totalPoints));
      // The coarse bounds counted whole 10,000-step buckets around the zoom; when the chosen rollup's buckets hold
      // few enough points, they are read raw, exactly as asked.
      if (!this.zoomed || mostInBuckets > maxPoints * READ_ROWS_PER_POINT) {
        await this.drawShortSeriesWhole(answered);
        return answered;
      }
      await this.readExactStepBounds();
      if (this.span === null) return new Map();
    }
    const answered = await this.readRawMinMax();
    await this.drawShortSeriesWhole(answered);
    return answered;
  }

  private async readRawMinMax(): Promise<Map<string, OverlaySeries>> {
    const span = this.span as XRange;
    const { maxPoints, axis } = this.query;
    const grid: Grid = { ...span, width: rawBucketWidth(span, maxPoints) };
    const rows = this.measure(
      await getRawBuckets(
        this.reader,
        this.selection,
        axis,
        this.origins,
        grid,
        this.source,
        this.wantsPoints,
      ),
    );
    const answered = this.bucketSeries(rows, grid, 1);
    if (axis === 'step' && this.rollups) await this.replaceExpired(answered, grid);
    return answered;
  }

  /** A series with no more points than asked is drawn from every raw point, whichever table bucketed it. */
  private async drawShortSeriesWhole(answered: Map<string, OverlaySeries>): Promise<void> {
    const { maxPoints } = this.query;
    const short = [...answered.values()].filter((s) => s.totalPoints <= maxPoints && !s.rawPointsExpired);
    if (short.length === 0 || this.span === null) return;
    if (!this.wantsPoints) {
      for (const series of short) series.downsampled = false;
      return;
    }
    const selection = {
      runIds: [...new Set(short.map((s) => s.runId))],
      keys: [...new Set(short.map((s) => s.key))],
    };
    const rows = await this.rawPoints(selection, this.span, maxPoints + 1);
    const byId = new Map(short.map((series) => [seriesId(series.runId, series.key, series.worker), series]));
    for (const row of rows) {
      const series = byId.get(seriesId(row.runId, row.key, row.worker));
      if (series === undefined) continue;
      if (series.downsampled) {
        series.downsampled = false;
        series.points = [];
      }
      // More raw points than the rollup counted (an insert racing the read): the first maxPoints, said so.
      if (series.points.length === maxPoints) series.truncated = true;
      else series.points.push(rawOverlayPoint(row));
    }
    // Counted exactly now: a rollup counted whole buckets around a zoom.
    for (const series of short) if (!series.downsampled) series.totalPoints = series.points.length;
  }

  /** Series of runs with a raw-point age limit whose raw points in the span are gone: the finest rollup answers. */
  private async replaceExpired(answered: Map<string, OverlaySeries>, grid: Grid): Promise<void> {
    const limited = [...answered.values()].filter(
      (series) => (this.bounds.get(seriesId(series.runId, series.key))?.retentionDays ?? 0) > 0,
    );
    if (limited.length === 0) return;
    const expired = await expiredRawSeries(this.reader, limited, grid);
    this.rowsRead += expired.rowsRead;
    if (expired.series.length === 0) return;
    const reread = await readExpiredFromFinestRollup(
      this.reader,
      expired.series,
      grid,
      bucketsFor(this.query.maxPoints),
    );
    this.rowsRead += reread.rowsRead;
    const finest = this.bucketSeries(reread.rows, reread.grid, reread.resolution);
    for (const [id, series] of finest) answered.set(id, { ...series, rawPointsExpired: true });
  }

  /** Raw points of the view in x order, at most `perSeries` of each series. */
  private async rawPoints(selection: SeriesSelection, span: XRange, perSeries: number) {
    const { reader, query, origins, source } = this;
    return this.measure(
      await getRawOverlayPoints(reader, selection, query.axis, origins, span, perSeries, source),
    );
  }

  private newSeries(runId: string, key: string, worker?: string): OverlaySeries {
    const bounds = this.bounds.get(seriesId(runId, key, worker));
    return { ...emptySeries(runId, key, worker ?? null), totalPoints: bounds?.points ?? 0 };
  }
}
