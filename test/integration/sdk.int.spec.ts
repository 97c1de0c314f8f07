import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileDigest, RunlogClient, type Run } from '../../libs/sdk/src/runlog';
import { gql, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

const RUNS = 16;
const STEPS_PER_RUN = 31_250; // two keys per step: 62,500 points per run, 1,000,000 in all

/**
 * A fetch that fails like a bad network: some requests never leave, some are processed but their answer is lost
 * (so the SDK must retry with the same event id and the server must append them once), and for one second in the
 * middle every request fails.
 */
function flakyFetch(stats: { lostBefore: number; lostAfter: number }): typeof fetch {
  let calls = 0;
  let outageUntil = 0;
  return async (input, init) => {
    calls += 1;
    if (calls === 60) outageUntil = Date.now() + 1_000;
    if (Date.now() < outageUntil || Math.random() < 0.05) {
      stats.lostBefore += 1;
      throw new TypeError('injected: connection refused');
    }
    const response = await fetch(input, init);
    if (Math.random() < 0.05) {
      await response.arrayBuffer();
      stats.lostAfter += 1;
      throw new TypeError('injected: connection reset after the request was sent');
    }
    return response;
  };
}

interface RunView {
  status: string;
  failureReason: string | null;
  stackTrace: string | null;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: {
    key: string;
    count: number;
    min: number | null;
    max: number | null;
    last: number | string;
    lastStep: number;
  }[];
  inputs: { name: string; digest: string; split: string | null; rows: number | null }[];
  context: {
    code: { commit: string | null } | null;
    environment: { runtime: string; runtimeVersion: string } | null;
    hardware: { cpuCount: number } | null;
    seeds: { key: string; value: string }[];
    host: string | null;
  } | null;
}

const RUN_FIELDS = `status failureReason stackTrace params { key value } tags { key value }
  metrics { key count min max last lastStep } inputs { name digest split rows }
  context { code { commit } environment { runtime runtimeVersion } hardware { cpuCount } seeds { key value } host }`;

describe('the TypeScript SDK against a real server, through injected HTTP failures', () => {
  const runlog = useRunlog();

  it('lands 16 concurrent runs and 1,000,000 points exactly once, with params, tags and artifacts', async () => {
    const stats = { lostBefore: 0, lostAfter: 0 };
    const errors: Error[] = [];
    const client = new RunlogClient({
      baseUrl: runlog.base,
      fetch: flakyFetch(stats),
      flushEveryPoints: 5_000,
      maxQueuedPoints: 100_000,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 500,
      onError: (error) => errors.push(error),
    });
    const experiment = `sweep-${Date.now()}`;
    const runIds: string[] = [];
    const weights = Buffer.from('weights of the best model');
    const datasetFile = join(runlog.dataDir, 'train.csv');
    writeFileSync(datasetFile, 'x,y\n1,2\n3,4\n');
    const datasetDigest = await fileDigest(datasetFile);
    expect(datasetDigest).toBe(`sha256:${createHash('sha256').update('x,y\n1,2\n3,4\n').digest('hex')}`);

    await Promise.all(
      Array.from({ length: RUNS }, (_, r) =>
        client.withRun(
          {
            experimentName: `${experiment}-${r}`,
            name: `trial-${r}`,
            params: { optimizer: { name: 'adam', lr: 0.001 * (r + 1) }, seed: r },
            tags: { sweep: experiment },
            seeds: { torch: r },
          },
          async (run: Run) => {
            runIds[r] = run.runId;
            run.logInput({ name: 'train.csv', digest: datasetDigest, split: 'train', rows: 2 });
            for (let step = 0; step < STEPS_PER_RUN; step++) {
              await run.log({ 'train/loss': 1 / (1 + step), 'train/step_parity': step % 2 }, step);
            }
            await run.logArtifact('model/weights.bin', weights);
          },
        ),
      ),
    );
    // A run whose body throws is marked failed with the error, and the error reaches the caller.
    const failing = client.withRun({ experimentName: `${experiment}-failing` }, async (run) => {
      runIds.push(run.runId);
      await run.log({ 'train/loss': Number.MAX_VALUE }, 0);
      await run.log({ 'train/loss': NaN, 'grad/norm': Infinity }, 1);
      await expect(run.log({ 'train/loss': '0.5' as unknown as number }, 2)).rejects.toThrow(
        /"train\/loss" is not a number/,
      );
      throw new RangeError('loss diverged');
    });
    await expect(failing).rejects.toThrow('loss diverged');
    // An ended run takes no more points (they would be queued and never sent); a bad base URL fails at once.
    let ended: Run | undefined;
    await client.withRun({ experimentName: `${experiment}-ended` }, (run) => {
      ended = run;
      runIds.push(run.runId);
    });
    await expect(ended!.log({ 'train/loss': 1 }, 1)).rejects.toThrow(/has ended/);
    expect(() => new RunlogClient({ baseUrl: 'localhost:8080', flushOnExit: false })).toThrow(/http/);
    await client.close();

    expect(errors).toEqual([]);
    expect(stats.lostBefore).toBeGreaterThan(0);
    expect(stats.lostAfter).toBeGreaterThan(0);

    await waitForProjection(runlog.base, 120_000);
    // The context is the test process's own: this checkout's commit, this machine.
    const gitHead = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    let total = 0;
    for (const [r, runId] of runIds.slice(0, RUNS).entries()) {
      const { run } = await gql<{ run: RunView }>(
        runlog.base,
        `query ($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`,
        {
          id: runId,
        },
      );
      expect(run.status).toBe('finished');
      expect(run.inputs).toEqual([{ name: 'train.csv', digest: datasetDigest, split: 'train', rows: 2 }]);
      expect(run.context).toEqual({
        code: { commit: gitHead },
        environment: { runtime: 'node', runtimeVersion: process.version },
        hardware: { cpuCount: expect.any(Number) },
        seeds: [{ key: 'torch', value: String(r) }],
        host: hostname(),
      });
      expect(run.params).toEqual([
        { key: 'optimizer.lr', value: String(0.001 * (r + 1)) },
        { key: 'optimizer.name', value: 'adam' },
        { key: 'seed', value: String(r) },
      ]);
      expect(run.tags).toEqual([{ key: 'sweep', value: experiment }]);
      expect(run.metrics).toEqual([
        {
          key: 'train/loss',
          count: STEPS_PER_RUN,
          min: 1 / STEPS_PER_RUN,
          max: 1,
          last: 1 / STEPS_PER_RUN,
          lastStep: STEPS_PER_RUN - 1,
        },
        {
          key: 'train/step_parity',
          count: STEPS_PER_RUN,
          min: 0,
          max: 1,
          last: 1,
          lastStep: STEPS_PER_RUN - 1,
        },
      ]);
      total += run.metrics.reduce((sum, metric) => sum + metric.count, 0);
      const artifact = await fetch(`${runlog.base}/api/v1/runs/${runId}/artifacts/model/weights.bin`);
      expect(artifact.headers.get('x-runlog-artifact-digest')).toBe(
        createHash('sha256').update(weights).digest('hex'),
      );
    }
    expect(total).toBe(1_000_000);

    const { run: failed } = await gql<{ run: RunView }>(
      runlog.base,
      `query ($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`,
      { id: runIds[RUNS] },
    );
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'RangeError: loss diverged' });
    expect(failed.stackTrace).toMatch(/^RangeError: loss diverged\n\s+at /);
    // NaN and Infinity arrive as such; min and max stay those of the finite values.
    expect(failed.metrics).toEqual([
      { key: 'grad/norm', count: 1, min: null, max: null, last: 'Infinity', lastStep: 1 },
      { key: 'train/loss', count: 2, min: Number.MAX_VALUE, max: Number.MAX_VALUE, last: 'NaN', lastStep: 1 },
    ]);
  });

  it('uploads a folder of files streamed from disk, a large checkpoint among them, each traceable by digest', async () => {
    const folder = join(runlog.dataDir, 'checkpoint');
    mkdirSync(join(folder, 'optimizer'), { recursive: true });
    const files: Record<string, Buffer> = {
      'weights.bin': randomBytes(24 * 1024 * 1024),
      'config.json': Buffer.from('{"layers":50}'),
      'optimizer/state.bin': randomBytes(4096),
    };
    for (const [path, content] of Object.entries(files)) writeFileSync(join(folder, path), content);
    const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

    const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false });
    const runId = await client.withRun(
      { experimentName: 'sdk-artifacts', captureContext: false },
      async (run) => {
        const recorded = await run.logArtifactDir(folder, 'epoch-3');
        expect(recorded).toHaveLength(3);
        return run.runId;
      },
    );
    await client.close();

    await waitForProjection(runlog.base);
    const { run } = await gql<{ run: { artifacts: { path: string; digest: string; size: number }[] } }>(
      runlog.base,
      `{ run(id: "${runId}") { artifacts(prefix: "epoch-3/") { path digest size } } }`,
    );
    expect(run.artifacts).toEqual(
      Object.entries(files)
        .map(([path, content]) => ({
          path: `epoch-3/${path}`,
          digest: sha256(content),
          size: content.length,
        }))
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    const download = await fetch(`${runlog.base}/api/v1/runs/${runId}/artifacts/epoch-3/weights.bin`);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(files['weights.bin']));
  });
});
