import { randomUUID } from 'node:crypto';
import type { ClickhouseReader, ClickhouseWriter } from '../ports';

/** In DDL order: must match the table in deploy/clickhouse/migrations (002); created_at takes its default. */
export const STORE_IDENTITY_COLUMNS = ['id'] as const;

/**
 * The identity of this ClickHouse store (`store_identity`, migration 002): made by the first process that asks,
 * then the same for every process on the store. Two processes starting together on an empty store may both
 * insert; both then read the earliest row, so they agree.
 */
export async function storeIdentity(reader: ClickhouseReader, writer: ClickhouseWriter): Promise<string> {
  const existing = await getStoreIdentity(reader);
  if (existing) return existing;
  // 16 hex digits: nothing in them needs TSV escaping.
  const id = randomUUID().replaceAll('-', '').slice(0, 16);
  await writer.insert({
    name: 'insertStoreIdentity',
    table: 'store_identity',
    columns: STORE_IDENTITY_COLUMNS,
    body: `${id}\n`,
  });
  const earliest = await getStoreIdentity(reader);
  if (!earliest) throw new Error(`${reader.database}.store_identity is empty right after an insert`);
  return earliest;
}

/** The store's identity if one was made, without making one. */
export async function getStoreIdentity(reader: ClickhouseReader): Promise<string | undefined> {
  const rows = await reader.query<{ id: string }>({
    name: 'getStoreIdentity',
    sql: `SELECT id FROM ${reader.database}.store_identity ORDER BY created_at, id LIMIT 1`,
  });
  return rows[0]?.id;
}
