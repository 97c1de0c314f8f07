import type { MetricValue } from '../../../events/src/run.events';
import { UnstorableValueError, unstorableMillisReason } from '../../../events/src/storable';
import type { ArrowColumn } from '../clickhouse';
import { tsvFloat, tsvMillis, tsvString } from '../tsv';
import type { LogPosition } from './log-position';
import { metricPointsArrowStream } from './metric-point-arrow';

const INITIAL_CAPACITY = 4_096;

/**
 * One insert's metric_points rows, column by column in typed arrays: the projector's hot path. Strings are kept
 * once per series (run, key, worker) and referenced by index; topic and partition once per insert (one insert holds
 * records of one partition). On chDB the arrays go to the engine as Arrow columns, with no text in between;
 * elsewhere `tsvLines()` writes them as TabSeparated text. Steps, values and times are checked here as the TSV
 * path checked them: a value no column can hold throws UnstorableValueError naming the field.
 */
export class MetricPointColumns {
  private series = new Int32Array(INITIAL_CAPACITY);
  private steps = new Float64Array(INITIAL_CAPACITY);
  private values = new Float64Array(INITIAL_CAPACITY);
  private timestamps = new Float64Array(INITIAL_CAPACITY);
  private offsets = new Float64Array(INITIAL_CAPACITY);
  private rows = 0;
  /** run → worker → key → series index. */
  private readonly seriesIndex = new Map<string, Map<string, Map<string, number>>>();
  readonly runIds: string[] = [];
  readonly keys: string[] = [];
  readonly workers: string[] = [];
  private position: Pick<LogPosition, 'topic' | 'partition'> | null = null;
  /** The lowest and highest log offset of the rows (-1 while empty). */
  firstOffset = -1;
  lastOffset = -1;

  get length(): number {
    return this.rows;
  }

  get topic(): string {
    return this.position?.topic ?? '';
  }

  get partition(): number {
    return this.position?.partition ?? 0;
  }

  /**
   * One series' points of one record; nothing is appended when any of them cannot be stored. `worker` is the
   * batch's label ('' for the default worker), kept per series so a point costs what it did without it.
   */
  append(
    runId: string,
    key: string,
    steps: readonly number[],
    values: readonly MetricValue[],
    timestamps: readonly number[] | undefined,
    defaultTimestamp: number,
    position: LogPosition,
    worker = '',
  ): void {
    checkPoints(steps, values, timestamps, defaultTimestamp);
    if (this.position === null) this.position = { topic: position.topic, partition: position.partition };
    else if (this.position.topic !== position.topic || this.position.partition !== position.partition) {
      throw new Error('one insert of metric points holds records of one topic partition');
    }
    const series = this.seriesOf(runId, worker, key);
    this.reserve(this.rows + steps.length);
    const at = this.rows;
    for (let i = 0; i < steps.length; i++) {
      this.series[at + i] = series;
      this.steps[at + i] = steps[i];
      this.values[at + i] = numericValue(values[i]);
      this.timestamps[at + i] = timestamps ? timestamps[i] : defaultTimestamp;
      this.offsets[at + i] = position.offset;
    }
    this.rows += steps.length;
    if (steps.length > 0) {
      if (this.firstOffset < 0 || position.offset < this.firstOffset) this.firstOffset = position.offset;
      if (position.offset > this.lastOffset) this.lastOffset = position.offset;
    }
  }

  /** Whether any series has a worker label: an insert of the default worker's points only leaves the column out. */
  get labelled(): boolean {
    return this.workers.some((worker) => worker !== '');
  }

  /** What this insert is known by for deduplication: its partition, its offsets and its row count. */
  deduplicationToken(): string {
    return `${this.topic}:${this.partition}:${this.firstOffset}-${this.lastOffset}:${this.rows}`;
  }

  /**
   * The columns as Arrow input: `points`, views of the filled part of each array (no copy), and `series`, one row
   * per (run, key, worker) that `points.p_series` refers to.
   */
  arrowTables(): { points: ArrowColumn[]; series: ArrowColumn[] } {
    const rows = this.rows;
    const series: ArrowColumn[] = [
      { name: 's_index', type: 'Int32', data: Int32Array.from(this.runIds, (_, index) => index) },
      { name: 's_run_id', type: 'String', data: this.runIds },
      { name: 's_key', type: 'String', data: this.keys },
      { name: 's_worker', type: 'String', data: this.workers },
    ];
    const points: ArrowColumn[] = [
      { name: 'p_series', type: 'Int32', data: this.series.subarray(0, rows) },
      { name: 'p_step', type: 'Float64', data: this.steps.subarray(0, rows) },
      { name: 'p_value', type: 'Float64', data: this.values.subarray(0, rows) },
      { name: 'p_time', type: 'Float64', data: this.timestamps.subarray(0, rows) },
      { name: 'p_offset', type: 'Float64', data: this.offsets.subarray(0, rows) },
    ];
    return { points, series };
  }

  /** The same rows as one Arrow IPC stream of METRIC_POINT_COLUMNS (for a ClickHouse server over HTTP). */
  arrowStream(): Uint8Array {
    return metricPointsArrowStream({
      rows: this.rows,
      series: this.series,
      steps: this.steps,
      values: this.values,
      timestamps: this.timestamps,
      offsets: this.offsets,
      runIds: this.runIds,
      keys: this.keys,
      workers: this.workers,
      topic: this.topic,
      partition: this.partition,
    });
  }

  /** The same rows as TabSeparated lines of METRIC_POINT_COLUMNS (for a ClickHouse server over HTTP). */
  tsvLines(): string[] {
    const lines: string[] = new Array<string>(this.rows);
    const prefixes = this.runIds.map(
      (runId, index) => `${tsvString(runId)}\t${tsvString(this.keys[index])}\t`,
    );
    const suffix = `${tsvString(this.topic)}\t${this.partition}\t`;
    const workers = this.workers.map((worker) => `\t${tsvString(worker)}`);
    for (let row = 0; row < this.rows; row++) {
      const series = this.series[row];
      lines[row] =
        `${prefixes[series]}${this.steps[row]}\t${tsvFloat(this.values[row])}\t` +
        `${tsvMillis(this.timestamps[row])}\t${suffix}${this.offsets[row]}${workers[series]}`;
    }
    return lines;
  }

  private seriesOf(runId: string, worker: string, key: string): number {
    let workers = this.seriesIndex.get(runId);
    if (!workers) this.seriesIndex.set(runId, (workers = new Map()));
    let keys = workers.get(worker);
    if (!keys) workers.set(worker, (keys = new Map()));
    let index = keys.get(key);
    if (index === undefined) {
      index = this.runIds.length;
      this.runIds.push(runId);
      this.keys.push(key);
      this.workers.push(worker);
      keys.set(key, index);
    }
    return index;
  }

  private reserve(rows: number): void {
    if (rows <= this.series.length) return;
    let capacity = this.series.length;
    while (capacity < rows) capacity *= 2;
    const grow = <A extends Int32Array | Float64Array>(array: A, make: (n: number) => A): A => {
      const grown = make(capacity);
      grown.set(array.subarray(0, this.rows));
      return grown;
    };
    this.series = grow(this.series, (n) => new Int32Array(n));
    this.steps = grow(this.steps, (n) => new Float64Array(n));
    this.values = grow(this.values, (n) => new Float64Array(n));
    this.timestamps = grow(this.timestamps, (n) => new Float64Array(n));
    this.offsets = grow(this.offsets, (n) => new Float64Array(n));
  }
}

/** NaN and the infinities arrive as JSON strings; a Float64 holds them as they are. */
function numericValue(value: MetricValue): number {
  if (typeof value === 'number') return value;
  return value === 'NaN' ? NaN : value === '-Infinity' ? -Infinity : Infinity;
}

/**
 * Steps travel as Float64 and become Int64 in the INSERT's SELECT: exact for safe integers, which is what the API
 * accepts; anything else (an older build's record) would be truncated or wrap, so it is refused here instead.
 */
function checkPoints(
  steps: readonly number[],
  values: readonly MetricValue[],
  timestamps: readonly number[] | undefined,
  defaultTimestamp: number,
): void {
  if (values.length !== steps.length || (timestamps && timestamps.length !== steps.length)) {
    throw new UnstorableValueError('steps', 'steps, values and timestamps differ in length');
  }
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isSafeInteger(steps[i]))
      throw new UnstorableValueError('steps', 'a step is not a safe integer');
    const value = values[i];
    if (typeof value !== 'number' && value !== 'NaN' && value !== 'Infinity' && value !== '-Infinity') {
      throw new UnstorableValueError('values', 'a value is neither a number nor NaN / Infinity / -Infinity');
    }
  }
  const times = timestamps ?? [defaultTimestamp];
  for (let i = 0; i < times.length; i++) {
    const reason = unstorableMillisReason(times[i]);
    if (reason !== null) throw new UnstorableValueError('timestamp', reason);
  }
}
