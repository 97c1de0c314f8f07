import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, createClickHouse, type ClickHouse } from '../../libs/store/src';

/** Under the `integration on Kafka` project the store is the ClickHouse the global setup serves over HTTP. */
export const distributedStore = process.env.RUNLOG_TEST_MODE === 'distributed';

export interface StoreFixture {
  /** The migrated store: chDB in this process, or a database of its own on the served ClickHouse. */
  readonly ch: ClickHouse;
  /** A directory of the block's own, removed after it. */
  readonly dir: string;
}

/** A migrated store for the enclosing describe block, dropped (and its directory removed) after it. */
export function useStore(name: string): StoreFixture {
  let dir = '';
  let ch: ClickHouse | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `runlog-${name}-`));
    const database = `${name}_${process.pid}_${Date.now() % 1e6}`;
    ch = distributedStore
      ? createClickHouse({
          url: process.env.RUNLOG_CLICKHOUSE_URL,
          username: process.env.RUNLOG_CLICKHOUSE_USER,
          password: process.env.RUNLOG_CLICKHOUSE_PASSWORD,
          chdbPath: join(dir, 'unused'),
          database,
        })
      : createClickHouse({ chdbPath: join(dir, 'chdb'), database });
    await applyMigrations(ch);
  });
  afterAll(async () => {
    if (ch && distributedStore) await ch.client.command({ query: `DROP DATABASE IF EXISTS ${ch.database}` });
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get ch() {
      if (!ch) throw new Error('the store is not open: use the fixture inside a test');
      return ch;
    },
    get dir() {
      return dir;
    },
  };
}
