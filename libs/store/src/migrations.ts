import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClickHouse } from './clickhouse';
import { sqlString } from './ports';

/** deploy/clickhouse/migrations of the checkout, found from here whether running from source or from dist/. */
export function findMigrationsDir(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'deploy', 'clickhouse', 'migrations');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`deploy/clickhouse/migrations not found above ${from}`);
}

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

/** Who the store's own dictionaries connect as (migration 008): the credentials this process uses. */
export interface MigrationCredentials {
  user?: string;
  password?: string;
}

export function loadMigrations(
  dir: string,
  database: string,
  credentials: MigrationCredentials = {},
): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 3)),
        name: file,
        checksum: createHash('sha256').update(text).digest('hex'),
        // The checksum is of the file as written: credentials may change without a migration changing.
        statements: splitStatements(
          text
            .replaceAll('{{database}}', database)
            .replaceAll('{{user}}', sqlString(credentials.user ?? 'default'))
            .replaceAll('{{password}}', sqlString(credentials.password ?? '')),
        ),
      };
    });
}

/** Splits on `;` at a line end; migration files keep one statement per such terminator and no `;` in strings. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((part) =>
      part
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
}

/**
 * Applies the numbered migrations not yet recorded in `schema_migrations`, in order. Statements are idempotent
 * (IF NOT EXISTS) so a crash half-way through a file is repaired by running it again.
 */
export async function applyMigrations(ch: ClickHouse, dir = findMigrationsDir()): Promise<string[]> {
  const db = ch.database;
  await ch.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await ch.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String,
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rows = await (
    await ch.client.query({
      query: `SELECT version, checksum FROM ${db}.schema_migrations FINAL`,
      format: 'JSONEachRow',
    })
  ).json<{ version: number; checksum: string }>();
  const applied = new Map(rows.map((row) => [Number(row.version), row.checksum]));
  const newlyApplied: string[] = [];
  for (const migration of loadMigrations(dir, db, { user: ch.username, password: ch.password })) {
    const checksum = applied.get(migration.version);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new Error(
          `migration ${migration.name} changed after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    for (const statement of migration.statements) {
      // metric_points' TTL looks retention up in a dictionary (008), which ClickHouse calls suspicious: every ALTER
      // of that table checks its TTL again, so migrations run with it allowed.
      await ch.client.command({
        query: statement,
        clickhouse_settings: { allow_suspicious_ttl_expressions: 1 },
      });
    }
    await ch.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    });
    newlyApplied.push(migration.name);
  }
  return newlyApplied;
}

/**
 * Runs again, on this database, every migration statement that sets a TTL. A TTL may name a dictionary of its
 * database in a string (metric_points' raw retention, 008), which an EXCHANGE of the table does not rename: a
 * table swapped in from another database (a replay) is bound back to this one's dictionary here.
 */
export async function reapplyTtls(ch: ClickHouse, dir = findMigrationsDir()): Promise<void> {
  for (const migration of loadMigrations(dir, ch.database, { user: ch.username, password: ch.password })) {
    for (const statement of migration.statements.filter((text) => /\bMODIFY TTL\b/.test(text))) {
      await ch.client.command({
        query: statement,
        clickhouse_settings: { allow_suspicious_ttl_expressions: 1 },
      });
    }
  }
}
