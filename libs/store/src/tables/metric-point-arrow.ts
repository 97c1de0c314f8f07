import {
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimestampMillisecond,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { METRIC_POINT_COLUMNS, UNLABELLED_METRIC_POINT_COLUMNS } from './metric-points.table';

/** One insert's metric points as MetricPointColumns holds them: a series index per row, strings per series. */
export interface MetricPointArrays {
  rows: number;
  series: Int32Array;
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
  offsets: Float64Array;
  runIds: readonly string[];
  keys: readonly string[];
  workers: readonly string[];
  topic: string;
  partition: number;
}

/**
 * The points as one Arrow IPC stream of METRIC_POINT_COLUMNS (without `worker` when every point is the default
 * worker's), typed as the table's columns so that a server maps
 * them directly (`INSERT … FORMAT ArrowStream` over HTTP): numbers as they sit in the typed
 * arrays, strings dictionary-encoded (each run id and key once per insert, an Int32 index per row). Against
 * TabSeparated it saves printing every number in the projector (1.2–1.7 µs a row) and parsing it in the server.
 */
export function metricPointsArrowStream(points: MetricPointArrays): Uint8Array {
  const { rows } = points;
  const runs = dictionaryOf(points.runIds);
  const keys = dictionaryOf(points.keys);
  const workers = dictionaryOf(points.workers);
  // Only the default worker's points: the column is left to its DEFAULT (as insertMetricPoints does in process).
  const labelled = workers.values.some((worker) => worker !== '');
  const runRows = new Int32Array(rows);
  const keyRows = new Int32Array(rows);
  const workerRows = new Int32Array(labelled ? rows : 0);
  for (let row = 0; row < rows; row++) {
    const series = points.series[row];
    runRows[row] = runs.indexOf[series];
    keyRows[row] = keys.indexOf[series];
    if (labelled) workerRows[row] = workers.indexOf[series];
  }
  const columns: Data[] = [
    strings(0, runs.values, runRows),
    strings(1, keys.values, keyRows),
    makeData({ type: new Int64(), length: rows, nullCount: 0, data: int64Array(points.steps, rows) }),
    makeData({ type: new Float64(), length: rows, nullCount: 0, data: points.values.subarray(0, rows) }),
    makeData({
      type: new TimestampMillisecond('UTC'),
      length: rows,
      nullCount: 0,
      data: int64Array(points.timestamps, rows),
    }),
    strings(2, [points.topic], new Int32Array(rows)),
    makeData({
      type: new Uint32(),
      length: rows,
      nullCount: 0,
      data: new Uint32Array(rows).fill(points.partition),
    }),
    makeData({ type: new Uint64(), length: rows, nullCount: 0, data: uint64Array(points.offsets, rows) }),
  ];
  if (labelled) columns.push(strings(3, workers.values, workerRows));
  const names = labelled ? METRIC_POINT_COLUMNS : UNLABELLED_METRIC_POINT_COLUMNS;
  const fields = names.map((name, index) => new Field(name, columns[index].type, false));
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: columns }),
  );
  return tableToIPC(new Table([batch]), 'stream');
}

/**
 * Safe integers held as float64, written as 64-bit two's complement through their 32-bit halves: no BigInt per
 * row. Exact for every safe integer (the row builder refuses anything else).
 */
export function int64Array(source: Float64Array, rows: number): BigInt64Array {
  const target = new BigInt64Array(rows);
  writeHalves(source, rows, new Uint32Array(target.buffer));
  return target;
}

export function uint64Array(source: Float64Array, rows: number): BigUint64Array {
  const target = new BigUint64Array(rows);
  writeHalves(source, rows, new Uint32Array(target.buffer));
  return target;
}

const TWO_32 = 4_294_967_296;

function writeHalves(source: Float64Array, rows: number, words: Uint32Array): void {
  // Little-endian words (every platform Node runs on, and Arrow's own byte order here).
  for (let row = 0; row < rows; row++) {
    const value = source[row];
    const high = Math.floor(value / TWO_32);
    words[2 * row] = value - high * TWO_32;
    words[2 * row + 1] = high; // a negative high word wraps to its two's complement, as Uint32Array stores it
  }
}

/** Distinct values with, for each input position, the index of its value: a series' run id recurs per key. */
function dictionaryOf(values: readonly string[]): { values: string[]; indexOf: Int32Array } {
  const distinct: string[] = [];
  const seen = new Map<string, number>();
  const indexOf = Int32Array.from(values, (value) => {
    let index = seen.get(value);
    if (index === undefined) {
      index = distinct.length;
      distinct.push(value);
      seen.set(value, index);
    }
    return index;
  });
  return { values: distinct, indexOf };
}

function strings(id: number, values: string[], indices: Int32Array): Data {
  return makeData({
    type: new Dictionary(new Utf8(), new Int32(), id),
    length: indices.length,
    nullCount: 0,
    data: indices,
    dictionary: vectorFromArray(values, new Utf8()),
  });
}
