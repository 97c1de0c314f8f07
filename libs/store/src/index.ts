/**
 * libs/store's public surface: services, tests and benches import from here only. Each table module
 * (`tables/<table>.table.ts`: row type, columns in DDL order, TSV formatter, named insert, reads) is re-exported
 * whole; its exports are named after its table, so one name finds one module. Table modules take the ports
 * (`readerFor(ch)`, `writerFor(ch)`), never the client.
 *
 * Not here: `chdb-server/` (the chDB HTTP front, a program of its own, imported by path by services/chdb-server).
 */
export { CLICKHOUSE, createClickHouse, type ClickHouse, type ClickHouseConfig } from './clickhouse';
export { applyMigrations, findMigrationsDir, reapplyTtls } from './migrations';
export {
  readerFor,
  writerFor,
  type ClickhouseReader,
  type ClickhouseWriter,
  type CommandOperation,
  type InsertOperation,
  type MeasuredRows,
  type ReadOperation,
} from './ports';
export { PROJECTION_GROUP_ID } from './projection-group';
export {
  streamReaderFor,
  StreamReadersBusyError,
  type ClickhouseStreamReader,
  type StreamFormat,
  type StreamReadOperation,
} from './stream-reader';
export type { LogPosition } from './tables/log-position';
export * from './tables/projected-tables';

export * from './tables/artifacts.table';
export * from './tables/dead-letters.table';
export * from './tables/events.table';
export * from './tables/experiments.table';
export * from './tables/metric-export';
export * from './tables/metric-point-columns';
export * from './tables/metric-points.table';
export * from './tables/metric-history';
export * from './tables/metric-rollups.table';
export * from './tables/metric-summary.table';
export * from './tables/params.table';
export * from './tables/run-search';
export * from './tables/projection-intents.table';
export * from './tables/read-scope';
export * from './tables/run-inputs.table';
export * from './tables/run-media.table';
export * from './tables/run-raw-retention.table';
export * from './tables/runs.table';
export * from './tables/store-identity.table';
export * from './tables/sweeps.table';
export * from './tables/tags.table';
export * from './tables/registry.table';
export * from './tables/table-checksums';
export * from './tables/lineage.table';

/** Reads of one series across metric_points and its rollups, and the pure choice of which answers. */
export * from './tables/metric-series';
export * from './tables/series-resolution';

/** Overlays: many runs' and keys' series read together on one grid of x (steps or time). */
export * from './tables/series-overlay';
