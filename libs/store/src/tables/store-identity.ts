import { randomUUID } from 'node:crypto';
import { readTimeout, type ClickHouse } from '../clickhouse';

/**
 * The identity of this ClickHouse store (migration 002): made by the first process that asks, then the same for
 * every process on the store. Two processes starting together on an empty store may both insert; both then read
 * the earliest row, so they agree.
 */
export async function storeIdentity(ch: ClickHouse): Promise<string> {
  const existing = await earliest(ch);
  if (existing) return existing;
  await ch.client.insert({
    table: `${ch.database}.store_identity`,
    values: [{ id: randomUUID().replaceAll('-', '').slice(0, 16) }],
    format: 'JSONEachRow',
  });
  const id = await earliest(ch);
  if (!id) throw new Error(`${ch.database}.store_identity is empty right after an insert`);
  return id;
}

async function earliest(ch: ClickHouse): Promise<string | undefined> {
  const result = await ch.client.query({
    query: `SELECT id FROM ${ch.database}.store_identity ORDER BY created_at, id LIMIT 1`,
    format: 'JSONEachRow',
    abort_signal: readTimeout(),
  });
  const rows = await result.json<{ id: string }>();
  return rows[0]?.id;
}
