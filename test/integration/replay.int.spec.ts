import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withStore } from '../support/kill-window';
import { gql, post, waitForProjection } from '../support/runlog-client';
import { makeDataDir, removeDataDir, startRunlog, type RunlogProcess } from '../support/runlog-process';

const CLI = join(__dirname, '..', '..', 'dist', 'services', 'cli', 'src', 'main.js');
const POINTS = 20_000;

interface Comparison {
  table: string;
  live: { rows: number } | null;
  replay: { rows: number } | null;
  equal: boolean;
}
interface ReplayStatus {
  state: string;
  records: { done: number; total: number };
  points: number;
  pointsPerSecond: number;
  tables: Comparison[];
}

/** `runlog replay` as an operator runs it, against the server under test. */
async function runReplay(base: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [CLI, 'replay', '--json', '--poll-ms', '50', ...args],
      { env: { ...process.env, RUNLOG_URL: base }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, status: JSON.parse(stdout) as ReplayStatus, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, status: JSON.parse(failed.stdout) as ReplayStatus, stderr: failed.stderr };
  }
}

const differing = (status: ReplayStatus) =>
  status.tables.filter((table) => !table.equal).map((table) => table.table);

describe('runlog replay: every projection rebuilt from the log into fresh tables, compared, then swapped', () => {
  const dataDir = makeDataDir();
  let server: RunlogProcess;

  beforeAll(async () => {
    server = await startRunlog(dataDir);
    const { base } = server;
    const ok = async (path: string, body: unknown) => {
      const answer = await post(base, path, body);
      if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    await ok('/api/v1/experiments', { experimentId: 'rebuilt', name: 'rebuilt' });
    await ok('/api/v1/sweeps', {
      sweepId: 'sw',
      experimentId: 'rebuilt',
      searchSpace: { lr: { values: [0.1, 0.01] } },
    });
    for (const runId of ['r1', 'r2']) {
      await ok('/api/v1/runs', { experimentId: 'rebuilt', runId, name: runId, sweepId: 'sw' });
      await ok(`/api/v1/runs/${runId}/params`, { params: { lr: runId === 'r1' ? 0.1 : 0.01 } });
      await ok(`/api/v1/runs/${runId}/tags`, { tags: { stage: 'baseline', owner: 'ana' } });
      await ok(`/api/v1/runs/${runId}/tags/delete`, { keys: ['owner'] });
      await ok(`/api/v1/runs/${runId}/inputs`, {
        inputs: [{ name: 'mnist', digest: `sha256:${'ab'.repeat(32)}`, split: 'train' }],
      });
      const steps = Array.from({ length: POINTS }, (_, i) => i);
      await ok(`/api/v1/runs/${runId}/metrics`, {
        metrics: [
          { key: 'loss', steps, values: steps.map((s) => (s % 997 === 0 ? 'NaN' : 1 / (1 + s))) },
          { key: 'acc', steps, values: steps.map((s) => s / POINTS) },
        ],
      });
      const upload = await fetch(`${base}/api/v1/runs/${runId}/artifacts/model.bin`, {
        method: 'PUT',
        body: `weights of ${runId}`,
      });
      expect(upload.status).toBe(201);
    }
    await ok('/api/v1/runs/r1/finish', {});
    await ok('/api/v1/runs/r2/fail', { reason: 'diverged' });
    await ok('/api/v1/models', { name: 'digits' });
    await ok('/api/v1/models/digits/versions', { runId: 'r1', artifactPath: 'model.bin' });
    await ok('/api/v1/models/digits/versions/1/stage', { stage: 'Production', reason: 'best loss' });
    await waitForProjection(base);
  });

  afterAll(async () => {
    await server?.kill();
    removeDataDir(dataDir);
  });

  it('rebuilds every table equal to the live one, with progress and a rate', async () => {
    const { code, status, stderr } = await runReplay(server.base, '--no-swap');
    expect(code).toBe(0);
    expect(status.state).toBe('compared');
    expect(differing(status)).toEqual([]);
    const rows = Object.fromEntries(status.tables.map((table) => [table.table, table.replay?.rows]));
    expect(rows).toMatchObject({
      runs: 2,
      params: 2,
      metric_points: 4 * POINTS,
      registered_models: 1,
      model_versions: 1,
    });
    expect(status.records.done).toBe(status.records.total);
    expect(status.points).toBe(4 * POINTS);
    expect(status.pointsPerSecond).toBeGreaterThan(0);
    expect(stderr).toMatch(/replay: .*records.*points\/s/);
  });

  it('finds tampered live tables, swaps nothing, and with --force swaps the rebuild in: the tampering is gone', async () => {
    await server.stop();
    // Behind the server's back, as someone with write access to ClickHouse could.
    await withStore(server, async (ch) => {
      const sync = { mutations_sync: '2' } as const;
      await ch.client.command({
        query: `ALTER TABLE ${ch.database}.runs UPDATE name = 'forged' WHERE run_id = 'r1'`,
        clickhouse_settings: sync,
      });
      await ch.client.command({
        query: `ALTER TABLE ${ch.database}.metric_points DELETE WHERE run_id = 'r2' AND step < 10`,
        clickhouse_settings: sync,
      });
    });
    server = await startRunlog(dataDir);
    const read = () =>
      gql<{ run: { name: string; metrics: { key: string; count: number }[] } }>(
        server.base,
        '{ run(id: "r1") { name metrics { key count } } }',
      );
    expect((await read()).run.name).toBe('forged');

    const refused = await runReplay(server.base);
    expect(refused.code).toBe(1);
    expect(refused.status.state).toBe('mismatch');
    expect(differing(refused.status)).toEqual(expect.arrayContaining(['runs', 'metric_points']));
    expect(differing(refused.status)).not.toContain('params');
    expect((await read()).run.name).toBe('forged');

    const forced = await runReplay(server.base, '--force');
    expect(forced.code).toBe(0);
    expect(forced.status.state).toBe('swapped');
    expect((await read()).run.name).toBe('r1');
    const points = await gql<{ run: { metrics: { key: string; count: number }[] } }>(
      server.base,
      '{ run(id: "r2") { metrics { key count } } }',
    );
    expect(points.run.metrics).toEqual([
      { key: 'acc', count: POINTS },
      { key: 'loss', count: POINTS },
    ]);

    // The projector goes on into the swapped tables, and a later replay finds them equal.
    expect((await post(server.base, '/api/v1/runs/r1/tags', { tags: { after: 'swap' } })).status).toBe(200);
    await waitForProjection(server.base);
    const tags = await gql<{ run: { tags: { key: string; value: string }[] } }>(
      server.base,
      '{ run(id: "r1") { tags { key value } } }',
    );
    expect(tags.run.tags).toEqual(expect.arrayContaining([{ key: 'after', value: 'swap' }]));
    const again = await runReplay(server.base, '--no-swap');
    expect([again.code, differing(again.status)]).toEqual([0, []]);
  });
});
