import type { ClickhouseReader, ClickhouseWriter } from '../ports';

/** Tables of a store that are not projections of the log: its own bookkeeping. */
const NOT_PROJECTIONS = new Set(['schema_migrations', 'store_identity', 'projection_intents']);

/** The projected tables of a database (views and dictionaries excluded: they are defined, not projected). */
export async function listProjectionTables(reader: ClickhouseReader): Promise<string[]> {
  const rows = await reader.query<{ name: string }>({
    name: 'listProjectionTables',
    sql: `SELECT name FROM system.tables
           WHERE database = {database:String} AND engine LIKE '%MergeTree' AND NOT is_temporary
           ORDER BY name`,
    params: { database: reader.database },
  });
  return rows.map((row) => String(row.name)).filter((name) => !NOT_PROJECTIONS.has(name));
}

interface ColumnType {
  name: string;
  type: string;
}

/**
 * One column as a checksum reads it. An aggregate state is read finalized (its bytes depend on how inserts were
 * batched); a running float sum is left out, since adding the same floats in another order may round apart (the
 * points it adds up are compared exactly, in metric_points).
 */
function checksumExpression(column: ColumnType): string | null {
  const name = `\`${column.name.replaceAll('`', '')}\``;
  if (/^SimpleAggregateFunction\(sum, Float/.test(column.type)) return null;
  if (column.type.startsWith('AggregateFunction(')) return `finalizeAggregation(${name})`;
  // cityHash64 of anything NULL is NULL, which sum() skips: a NULL is hashed as a flag and an empty value.
  if (column.type.startsWith('Nullable(')) return `isNull(${name}), ifNull(toString(${name}), '')`;
  return name;
}

export interface TableChecksum {
  table: string;
  rows: number;
  /** sum of cityHash64 of each row's columns (as read with FINAL): independent of row order and part layout. */
  checksum: string;
}

/** The checksum of one table's rows as queries see them (FINAL: one row per key), read in its own database. */
export async function tableChecksum(reader: ClickhouseReader, table: string): Promise<TableChecksum> {
  const columns = await reader.query<ColumnType>({
    name: 'tableColumns',
    sql: `SELECT name, type FROM system.columns WHERE database = {database:String} AND table = {table:String}
           ORDER BY position`,
    params: { database: reader.database, table },
  });
  const expressions = columns.map(checksumExpression).filter((expression) => expression !== null);
  const [{ engine } = { engine: 'MergeTree' }] = await reader.query<{ engine: string }>({
    name: 'tableEngine',
    sql: `SELECT engine FROM system.tables WHERE database = {database:String} AND name = {table:String}`,
    params: { database: reader.database, table },
  });
  // Replacing and aggregating tables are read as queries read them, one row per key; a plain MergeTree as it is.
  const final = engine === 'MergeTree' ? '' : 'FINAL';
  // Aliases no table has as a column (run_inputs has `rows`): an alias shadows the column inside the hash.
  const [row] = await reader.query<{ runlog_rows: string | number; runlog_checksum: string | number }>({
    name: 'tableChecksum',
    sql: `SELECT count() AS runlog_rows, toString(sum(cityHash64(${expressions.join(', ')}))) AS runlog_checksum
            FROM ${reader.database}.\`${table}\` ${final}`,
  });
  return { table, rows: Number(row?.runlog_rows ?? 0), checksum: String(row?.runlog_checksum ?? '0') };
}

/**
 * Swaps each table of `writer.database` with the one of the same name in `other`, one atomic EXCHANGE per table:
 * readers see either the old or the new table, never a missing one.
 */
export async function exchangeTables(
  writer: ClickhouseWriter,
  other: string,
  tables: readonly string[],
): Promise<void> {
  for (const table of tables) {
    await writer.command({
      name: 'exchangeTables',
      sql: `EXCHANGE TABLES ${writer.database}.\`${table}\` AND ${other}.\`${table}\``,
    });
  }
}

export async function dropDatabase(writer: ClickhouseWriter, database: string): Promise<void> {
  await writer.command({ name: 'dropDatabase', sql: `DROP DATABASE IF EXISTS ${database} SYNC` });
}
