import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMigrations,
  createClickHouse,
  findMigrationsDir,
  readerFor,
  storeIdentity,
  writerFor,
  type ClickHouse,
} from '../../libs/store/src';

/** Migrations against the real engine (chDB in this test's process). */
describe('ClickHouse migrations', () => {
  let dir: string;
  let migrations: string;
  let ch: ClickHouse;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runlog-migrations-'));
    migrations = join(dir, 'migrations');
    cpSync(findMigrationsDir(), migrations, { recursive: true });
    ch = createClickHouse({ chdbPath: join(dir, 'chdb'), database: 'migration_test' });
  });

  afterAll(async () => {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function tables(): Promise<string[]> {
    const result = await ch.client.query({
      query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      query_params: { db: ch.database },
      format: 'JSONEachRow',
    });
    return (await result.json<{ name: string }>()).map((row) => row.name);
  }

  it('creates every projection table once, and a second run applies nothing', async () => {
    expect(await applyMigrations(ch, migrations)).toEqual([
      '001_init.sql',
      '002_store_identity.sql',
      '003_run_record.sql',
      '004_run_started.sql',
      '005_dead_letters.sql',
      '006_event_request_digest.sql',
      '007_metric_rollups.sql',
      '008_raw_retention.sql',
      '009_insert_deduplication.sql',
      '010_metric_worker.sql',
      '011_workspace_scope.sql',
      '012_model_registry.sql',
      '013_run_media.sql',
      '014_experiment_tags.sql',
      '015_model_version_status.sql',
      '016_run_input_details.sql',
    ]);
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'events',
        'experiments',
        'metric_points',
        'metric_summary',
        'registered_models',
        'model_versions',
        'params',
        'runs',
        'store_identity',
        'tags',
        'sweeps',
        'run_inputs',
        'artifacts',
        'run_media',
        'dead_letters',
      ]),
    );
    expect(await applyMigrations(ch, migrations)).toEqual([]);
  });

  it('gives the store one identity, the same for every process that asks', async () => {
    const identity = () => storeIdentity(readerFor(ch), writerFor(ch));
    const first = await identity();
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(await Promise.all([identity(), identity()])).toEqual([first, first]);
  });

  it('applies a new numbered migration in order', async () => {
    writeFileSync(
      join(migrations, '099_add_notes.sql'),
      'CREATE TABLE IF NOT EXISTS {{database}}.notes (run_id String, note String) ENGINE = MergeTree ORDER BY run_id;\n',
    );
    expect(await applyMigrations(ch, migrations)).toEqual(['099_add_notes.sql']);
    expect(await tables()).toContain('notes');
  });

  it('refuses to start when an applied migration was edited', async () => {
    appendFileSync(join(migrations, '001_init.sql'), '\n-- edited after the fact\n');
    await expect(applyMigrations(ch, migrations)).rejects.toThrow(
      /001_init\.sql changed after it was applied/,
    );
  });
});
