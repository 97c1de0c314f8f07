import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `artifacts`: the files a run logged, latest per path (ReplacingMergeTree on `_version`, the log offset). */
export interface ArtifactRow {
  runId: string;
  path: string;
  size: number;
  digest: string;
  contentType: string;
  loggedAt: number;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (003). */
export const ARTIFACT_COLUMNS = [
  'run_id',
  'path',
  'size',
  'digest',
  'content_type',
  'logged_at',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;

export const formatArtifactRow = (row: ArtifactRow): string =>
  [
    tsvString(row.runId),
    tsvString(row.path),
    row.size,
    row.digest,
    tsvString(row.contentType),
    tsvMillis(row.loggedAt),
    row.position.offset,
    tsvPosition(row.position),
  ].join('\t');

export function insertArtifacts(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertArtifacts',
    table: 'artifacts',
    columns: ARTIFACT_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export type ArtifactView = Omit<ArtifactRow, 'position'>;

/** `by`: a run's artifacts (latest per path), or every artifact with one digest (where these bytes came from). */
export async function findArtifacts(
  reader: ClickhouseReader,
  by: { runId: string; prefix?: string } | { digest: string },
): Promise<ArtifactView[]> {
  const where =
    'runId' in by
      ? 'run_id = {runId:String} AND startsWith(path, {prefix:String})'
      : 'digest = {digest:String}';
  const found = await reader.query<Record<keyof ArtifactView, string | number>>({
    name: 'findArtifacts',
    sql: `SELECT run_id AS runId, path, size, digest, content_type AS contentType,
       toUnixTimestamp64Milli(logged_at) AS loggedAt
     FROM ${reader.database}.artifacts FINAL WHERE ${where} ORDER BY run_id, path LIMIT 100000`,
    params: 'runId' in by ? { runId: by.runId, prefix: by.prefix ?? '' } : by,
  });
  return found.map((raw) => ({
    runId: String(raw.runId),
    path: String(raw.path),
    size: Number(raw.size),
    digest: String(raw.digest),
    contentType: String(raw.contentType),
    loggedAt: Number(raw.loggedAt),
  }));
}
