import { drainPending } from 'chdb';
import { join } from 'node:path';
import { TOPICS } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';
import { eventLogLocationFromEnv, openEventLogAt } from '../../libs/log/src/open-event-log';
import { createClickHouse, type ClickHouse } from '../../libs/store/src';
import type { RunlogProcess } from './runlog-process';

/** What a killed server left behind on runlog.metrics: the group's position against what reached metric_points. */
export interface KillWindow {
  /** Per partition, the next offset the projector's group would read. */
  committed: Map<number, number>;
  /** Per partition, the highest runlog.metrics offset in metric_points (absent: nothing projected there). */
  projectedUpTo: Map<number, number>;
  /** Points of the run in metric_points: a replay of an insert that outlived its commit would show here doubled. */
  projectedPoints: number;
}

/**
 * Reads, after a server died, where its projector was: the group's committed offsets from its log and the rows in
 * its store. The server must be dead on the embedded stack (the test opens its chDB directory, which then is free
 * again for the restart); on the Kafka stack the store is the ClickHouse server it was given.
 */
export async function inspectKillWindow(server: RunlogProcess, runId: string): Promise<KillWindow> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    throw new Error('inspectKillWindow reads the store of a dead server: kill it first');
  }
  return withStore(server, async (ch) => {
    const groupId = `runlog-projector-${await storeId(ch)}`;
    const log = await openLog(server);
    try {
      return {
        committed: await log.committedOffsets(groupId, TOPICS.metrics),
        projectedUpTo: await projectedUpTo(ch),
        projectedPoints: await projectedPoints(ch, runId),
      };
    } finally {
      await log.close();
    }
  });
}

/**
 * Points in a live server's metric_points (of one run, or of all): only on the Kafka stack, where the store is a
 * ClickHouse server the test can read beside it.
 */
export async function projectedPointsNow(server: RunlogProcess, runId?: string): Promise<number> {
  if (!server.env.RUNLOG_CLICKHOUSE_URL)
    throw new Error('the embedded store is open only to its own process');
  return withStore(server, (ch) => projectedPoints(ch, runId));
}

/** Opens the server's store beside it (over HTTP on Kafka; chDB in this process once the server has stopped). */
export async function withStore<T>(server: RunlogProcess, use: (ch: ClickHouse) => Promise<T>): Promise<T> {
  const ch = openStore(server);
  try {
    return await use(ch);
  } finally {
    await ch.close();
    // chDB serves one data directory per process at a time: let the next test open another.
    if (ch.engine === 'chdb') await drainPending();
  }
}

/** True when some partition's points reached the table past the group's committed position. */
export function landedPastCommit(window: KillWindow): boolean {
  return [...window.projectedUpTo].some(
    ([partition, offset]) => offset >= (window.committed.get(partition) ?? 0),
  );
}

function openStore(server: RunlogProcess): ClickHouse {
  const { env, dataDir } = server;
  return createClickHouse({
    url: env.RUNLOG_CLICKHOUSE_URL || undefined,
    username: env.RUNLOG_CLICKHOUSE_USER || undefined,
    password: env.RUNLOG_CLICKHOUSE_PASSWORD || undefined,
    // The server's own layout (services/standalone/src/main.ts).
    chdbPath: join(dataDir, 'clickhouse'),
    database: env.RUNLOG_CLICKHOUSE_DATABASE || 'runlog',
  });
}

function openLog(server: RunlogProcess): Promise<EventLog> {
  return openEventLogAt(eventLogLocationFromEnv({ ...server.env, RUNLOG_DATA_DIR: server.dataDir }), {
    clientId: 'runlog-test-kill-window',
  });
}

/** The store's identity, read only (storeIdentity() would make one): the projector's group is named after it. */
async function storeId(ch: ClickHouse): Promise<string> {
  const [row] = await select<{ id: string }>(
    ch,
    `SELECT id FROM ${ch.database}.store_identity ORDER BY created_at, id LIMIT 1`,
  );
  if (!row) throw new Error(`${ch.database}.store_identity is empty: the server never started its projector`);
  return row.id;
}

async function projectedUpTo(ch: ClickHouse): Promise<Map<number, number>> {
  const rows = await select<{ partition: number; offset: string | number }>(
    ch,
    `SELECT _log_partition AS partition, max(_log_offset) AS offset FROM ${ch.database}.metric_points
     WHERE _log_topic = {topic:String} GROUP BY _log_partition`,
    { topic: TOPICS.metrics },
  );
  return new Map(rows.map((row) => [Number(row.partition), Number(row.offset)]));
}

async function projectedPoints(ch: ClickHouse, runId?: string): Promise<number> {
  const [row] = await select<{ points: string | number }>(
    ch,
    `SELECT count() AS points FROM ${ch.database}.metric_points
     ${runId === undefined ? '' : 'WHERE run_id = {runId:String}'}`,
    runId === undefined ? {} : { runId },
  );
  return Number(row?.points ?? 0);
}

async function select<T>(ch: ClickHouse, query: string, params: Record<string, string> = {}): Promise<T[]> {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}
