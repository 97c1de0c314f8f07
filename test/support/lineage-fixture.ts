import { createHash, randomBytes } from 'node:crypto';
import { post, waitForProjection } from './runlog-client';

/**
 * The lineage spec's data (test/integration/lineage.int.spec.ts), written through the ingest API with the
 * bootstrap token. Workspace `ml`: experiment vision-ml with sweep lr-sweep; run `pipeline` (commit A) and its
 * child `train-a` (commit A, dataset v1, in the sweep, finished, two artifacts); `train-b` (commit B, dataset v2,
 * running) with child `eval-b` and grandchild `eval-b-shard`; model `classifier` v1 from train-a (alias
 * champion) and v2 from train-b (Staging). Workspace `other`: `train-other` on the same dataset and commit, and a
 * model of the same name (v1 from it). A viewer token of `ml` reads.
 */

export const hex = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
export const auth = (token: string, workspace?: string) => ({
  authorization: `Bearer ${token}`,
  ...(workspace ? { 'x-runlog-workspace': workspace } : {}),
});

export const COMMIT_A = hex('commit a').slice(0, 40);
export const COMMIT_B = hex('commit b').slice(0, 40);
export const DATA_V1 = `sha256:${hex('train v1')}`;
export const DATA_V2 = `sha256:${hex('train v2')}`;
export const WEIGHTS = { a: randomBytes(2048), b: randomBytes(2048) };

/** Writes the data and waits for its projection; answers the token of a viewer of `ml`. */
export async function seedLineage(base: string, bootstrap: string): Promise<string> {
  async function ok(path: string, body: unknown, workspace = 'ml') {
    const answer = await post(base, path, body, auth(bootstrap, workspace));
    if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async function upload(runId: string, path: string, bytes: Buffer) {
    const answer = await fetch(`${base}/api/v1/runs/${runId}/artifacts/${path}`, {
      method: 'PUT',
      headers: auth(bootstrap),
      body: bytes,
    });
    if (answer.status !== 201) throw new Error(`upload ${runId}/${path}: ${answer.status}`);
  }

  /** A run of `experimentId` (in `workspace`) with a context naming `commit`, that read `digest`. */
  async function trainingRun(
    runId: string,
    experimentId: string,
    commit: string,
    digest: string,
    extra = {},
    workspace = 'ml',
  ) {
    await ok(
      '/api/v1/runs',
      {
        runId,
        experimentId,
        name: runId,
        ...extra,
        context: {
          code: {
            commit,
            branch: 'main',
            remote: 'https://git.example/vision.git',
            dirty: true,
            diffDigest: hex(runId),
          },
          environment: {
            runtime: 'python',
            runtimeVersion: '3.12.1',
            platform: 'linux',
            arch: 'x86_64',
            lockfileDigest: hex('lock'),
          },
          hardware: { cpuCount: 8, gpus: [{ model: 'A100' }] },
          seeds: { torch: 7 },
        },
      },
      workspace,
    );
    const source = `s3://data/${digest === DATA_V1 ? 'train-v1' : 'train-v2'}.parquet`;
    await ok(
      `/api/v1/runs/${runId}/inputs`,
      {
        inputs: [{ name: 'train', digest, source, split: 'train', rows: 1000 }],
      },
      workspace,
    );
  }

  const issued = await post<{ token: string }>(
    base,
    '/api/v1/tokens',
    { principal: 'reader', roles: ['viewer'], workspace: 'ml' },
    auth(bootstrap),
  );
  const viewer = issued.body.token;
  for (const workspace of ['ml', 'other']) {
    await ok('/api/v1/experiments', { experimentId: `vision-${workspace}`, name: 'vision' }, workspace);
  }
  await ok('/api/v1/sweeps', {
    sweepId: 'lr-sweep',
    experimentId: 'vision-ml',
    name: 'lr sweep',
    method: 'grid',
    searchSpace: { lr: { values: [0.1, 0.01] } },
    objective: { metric: 'loss', goal: 'minimize' },
  });
  // ml: a pipeline run (commit A) whose child trained on v1; a run on v2 (commit B) with a child and a grandchild.
  await ok('/api/v1/runs', {
    runId: 'pipeline',
    experimentId: 'vision-ml',
    name: 'nightly',
    context: { code: { commit: COMMIT_A } },
  });
  await trainingRun('train-a', 'vision-ml', COMMIT_A, DATA_V1, {
    sweepId: 'lr-sweep',
    parentRunId: 'pipeline',
  });
  await ok('/api/v1/runs/train-a/params', { params: { lr: 0.1 } });
  await ok('/api/v1/runs/train-a/tags', { tags: { team: 'vision' } });
  await trainingRun('train-b', 'vision-ml', COMMIT_B, DATA_V2);
  await ok('/api/v1/runs', {
    runId: 'eval-b',
    experimentId: 'vision-ml',
    name: 'eval-b',
    parentRunId: 'train-b',
  });
  await ok('/api/v1/runs', {
    runId: 'eval-b-shard',
    experimentId: 'vision-ml',
    name: 'shard',
    parentRunId: 'eval-b',
  });
  // other: the same dataset and commit, and a model of the same name, which no reader in ml may see.
  await trainingRun('train-other', 'vision-other', COMMIT_A, DATA_V1, {}, 'other');
  for (const [runId, bytes] of [
    ['train-a', WEIGHTS.a],
    ['train-b', WEIGHTS.b],
    ['train-other', WEIGHTS.a],
  ] as const) {
    await upload(runId, 'model/weights.bin', bytes);
  }
  await upload('train-a', 'notes/readme.txt', Buffer.from('how train-a was made'));
  await ok('/api/v1/runs/train-a/finish', {});
  for (const [workspace, runIds] of [
    ['ml', ['train-a', 'train-b']],
    ['other', ['train-other']],
  ] as const) {
    await ok('/api/v1/models', { name: 'classifier' }, workspace);
    for (const runId of runIds) {
      await ok('/api/v1/models/classifier/versions', { runId, artifactPath: 'model/weights.bin' }, workspace);
    }
  }
  await ok('/api/v1/models/classifier/aliases', { alias: 'champion', version: 1, reason: 'best loss' });
  await ok('/api/v1/models/classifier/versions/2/stage', { stage: 'Staging', reason: 'try v2' });
  await waitForProjection(base, 60_000, auth(bootstrap));
  return viewer;
}
