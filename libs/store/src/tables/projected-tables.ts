import type { ClickhouseReader, ClickhouseWriter } from '../ports';
import { insertArtifacts } from './artifacts.table';
import { insertEvents } from './events.table';
import { insertExperiments } from './experiments.table';
import type { LogPosition } from './log-position';
import type { MetricPointColumns } from './metric-point-columns';
import { insertMetricPoints } from './metric-points.table';
import { insertParams } from './params.table';
import { insertRunInputs } from './run-inputs.table';
import { insertRunMedia } from './run-media.table';
import { insertRuns } from './runs.table';
import { insertSweeps } from './sweeps.table';
import { insertTags } from './tags.table';

/** The tables the projector writes from the log; every row carries the log position it came from. */
export const PROJECTED_TABLES = [
  'events',
  'experiments',
  'sweeps',
  'runs',
  'params',
  'tags',
  'run_inputs',
  'artifacts',
  'run_media',
  'metric_points',
] as const;
export type ProjectedTable = (typeof PROJECTED_TABLES)[number];

type LineTable = Exclude<ProjectedTable, 'metric_points'>;

/** What one insert into a projected table carries: TSV lines, or for metric_points its columns. */
export type TableRows<T extends ProjectedTable = ProjectedTable> = T extends 'metric_points'
  ? MetricPointColumns
  : readonly string[];

/** A batch's rows per table. */
export type ProjectedRows = {
  [T in ProjectedTable]: T extends 'metric_points' ? MetricPointColumns : string[];
};

const LINE_INSERTS: Record<LineTable, (writer: ClickhouseWriter, lines: readonly string[]) => Promise<void>> =
  {
    events: insertEvents,
    experiments: insertExperiments,
    sweeps: insertSweeps,
    runs: insertRuns,
    params: insertParams,
    tags: insertTags,
    run_inputs: insertRunInputs,
    artifacts: insertArtifacts,
    run_media: insertRunMedia,
  };

/** One INSERT of a batch's rows into `table`, through that table's own insert; no rows, no insert. */
export function insertProjectedRows(
  writer: ClickhouseWriter,
  table: ProjectedTable,
  rows: TableRows,
): Promise<void> {
  if (table === 'metric_points') return insertMetricPoints(writer, rows as MetricPointColumns);
  return LINE_INSERTS[table](writer, rows as readonly string[]);
}

/**
 * The highest log offset already projected into `table`, per partition of `topic`. A single INSERT of one block
 * lands atomically in a MergeTree part, so everything at or below this offset is in the table.
 */
export async function getProjectionWatermarks(
  reader: ClickhouseReader,
  table: ProjectedTable,
  topic: string,
): Promise<Map<number, number>> {
  const rows = await reader.query<{ partition: number; offset: string | number }>({
    name: 'getProjectionWatermarks',
    sql: `SELECT _log_partition AS partition, max(_log_offset) AS offset
            FROM ${reader.database}.${table} WHERE _log_topic = {topic:String} GROUP BY _log_partition`,
    params: { topic },
  });
  return new Map(rows.map((row) => [Number(row.partition), Number(row.offset)]));
}

/** Whether `table` holds rows of the record at `position`: an insert lands whole, so any row means all of them. */
export async function tableHoldsPosition(
  reader: ClickhouseReader,
  table: ProjectedTable,
  position: LogPosition,
): Promise<boolean> {
  const [row] = await reader.query<{ found: string | number }>({
    name: 'tableHoldsPosition',
    sql: `SELECT count() AS found FROM ${reader.database}.${table}
            WHERE _log_topic = {topic:String} AND _log_partition = {partition:UInt32}
              AND _log_offset = {offset:UInt64}`,
    params: { ...position },
  });
  return Number(row?.found ?? 0) > 0;
}
