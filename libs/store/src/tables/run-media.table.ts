import type { MediaKind, RunMediaLogged } from '../../../events/src/run.events';
import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';

/** `run_media`: a run's images, histograms and tables per key and step (ReplacingMergeTree on the log offset). */
export interface RunMediaRow {
  runId: string;
  media: RunMediaLogged['payload'];
  loggedAt: number;
  position: LogPosition;
}

/** In DDL order: must match the table in deploy/clickhouse/migrations (013). */
export const RUN_MEDIA_COLUMNS = [
  'run_id',
  'key',
  'step',
  'kind',
  'path',
  'size',
  'digest',
  'content_type',
  'logged_at',
  '_version',
  ...LOG_POSITION_COLUMNS,
] as const;

export const formatRunMediaRow = ({ runId, media, loggedAt, position }: RunMediaRow): string =>
  [
    tsvString(runId),
    tsvString(media.key),
    media.step,
    tsvString(media.kind),
    tsvString(media.path),
    media.size,
    tsvString(media.digest),
    tsvString(media.contentType),
    tsvMillis(loggedAt),
    position.offset,
    tsvPosition(position),
  ].join('\t');

export function insertRunMedia(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertRunMedia',
    table: 'run_media',
    columns: RUN_MEDIA_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

/** A media item as read: the event's payload, its run and when it was logged. */
export type MediaView = RunMediaLogged['payload'] & { runId: string; loggedAt: number };

/** The most items of one key a read returns (its latest steps), and of all keys together. */
export const MAX_MEDIA_ITEMS_PER_KEY = 2_000;
export const MAX_MEDIA_ITEMS = 20_000;

/** A run's media, by key then step; only `key` or `kind` when given. */
export async function findRunMedia(
  reader: ClickhouseReader,
  by: { runId: string; key?: string | null; kind?: MediaKind | null },
): Promise<MediaView[]> {
  const where = ['run_id = {runId:String}'];
  if (by.key != null) where.push('key = {key:String}');
  if (by.kind != null) where.push('kind = {kind:String}');
  const rows = await reader.query<
    Omit<MediaView, 'step' | 'size' | 'loggedAt'> & Record<'step' | 'size' | 'loggedAt', string | number>
  >({
    name: 'findRunMedia',
    sql: `SELECT run_id AS runId, key, step, kind, path, size, digest, content_type AS contentType,
            toUnixTimestamp64Milli(logged_at) AS loggedAt
          FROM ${reader.database}.run_media FINAL WHERE ${where.join(' AND ')}
          ORDER BY key, step DESC LIMIT ${MAX_MEDIA_ITEMS_PER_KEY} BY key LIMIT ${MAX_MEDIA_ITEMS}`,
    params: { runId: by.runId, key: by.key ?? '', kind: by.kind ?? '' },
  });
  // Read newest first (so a long key keeps its latest steps), shown oldest first.
  rows.reverse();
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return rows.map((row) => ({
    ...row,
    step: Number(row.step),
    size: Number(row.size),
    loggedAt: Number(row.loggedAt),
  }));
}
