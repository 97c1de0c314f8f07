import { randomBytes } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { OpenLineageRunEvent } from '../../services/gateway/src/lineage/openlineage';
import { openLineageRunEventProblems } from '../support/openlineage-spec';
import {
  auth,
  COMMIT_A,
  COMMIT_B,
  DATA_V1,
  DATA_V2,
  hex,
  seedLineage,
  WEIGHTS,
} from '../support/lineage-fixture';
import { graphqlAnswer } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

const BOOTSTRAP = randomBytes(32).toString('base64url');

const graphql = <T>(base: string, token: string, query: string, variables: Record<string, unknown> = {}) =>
  graphqlAnswer<T>(base, query, variables, auth(token));

const LINEAGE = `query($m: String!, $v: Int!, $w: String) { modelLineage(model: $m, version: $v, workspace: $w) {
  workspace model version sha256 artifactPath stage aliases runId
  run { runId name status deleted experimentId experimentName
    sweep { sweepId name method objectiveMetric objectiveGoal }
    parent { runId name status experimentName } params { key value } tags { key value } }
  inputs { name digest source split rows }
  code { commit branch remote dirty diffDigest entryPoint }
  environment { runtime runtimeVersion platform arch lockfileDigest }
  hardware { cpuCount gpus { model } } seeds { key value }
  artifacts { path digest size }
  openLineage } }`;
const IMPACT = `query($d: String, $c: String, $w: String, $limit: Int) {
  impact(datasetDigest: $d, commit: $c, workspace: $w, limit: $limit) {
    runs { runId name status experimentId workspace reachedThrough depth }
    modelVersions { model version stage aliases runId workspace } truncated } }`;

interface Impact {
  runs: { runId: string; reachedThrough: string; depth: number; workspace: string }[];
  modelVersions: { model: string; version: number; stage: string; aliases: string[]; workspace: string }[];
  truncated: boolean;
}

describe('lineage both ways: a model version back to its data and code, a dataset or commit forward to models', () => {
  const server = useRunlog({ RUNLOG_AUTH: 'tokens', RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP });
  let viewer = '';

  beforeAll(async () => {
    viewer = await seedLineage(server.base, BOOTSTRAP);
  });

  it('walks a model version back to its run, data, code, environment and artifacts', async () => {
    const answer = await graphql<{ modelLineage: Record<string, unknown> }>(server.base, viewer, LINEAGE, {
      m: 'classifier',
      v: 1,
    });
    expect(answer.errors).toBeUndefined();
    const { openLineage, ...lineage } = answer.data!.modelLineage;
    expect(typeof openLineage).toBe('string');
    expect(lineage).toEqual({
      workspace: 'ml',
      model: 'classifier',
      version: 1,
      sha256: hex(WEIGHTS.a),
      artifactPath: 'model/weights.bin',
      stage: 'None',
      aliases: ['champion'],
      runId: 'train-a',
      run: {
        runId: 'train-a',
        name: 'train-a',
        status: 'finished',
        deleted: false,
        experimentId: 'vision-ml',
        experimentName: 'vision',
        sweep: {
          sweepId: 'lr-sweep',
          name: 'lr sweep',
          method: 'grid',
          objectiveMetric: 'loss',
          objectiveGoal: 'minimize',
        },
        parent: { runId: 'pipeline', name: 'nightly', status: 'running', experimentName: 'vision' },
        params: [{ key: 'lr', value: '0.1' }],
        tags: [{ key: 'team', value: 'vision' }],
      },
      inputs: [
        { name: 'train', digest: DATA_V1, source: 's3://data/train-v1.parquet', split: 'train', rows: 1000 },
      ],
      code: {
        commit: COMMIT_A,
        branch: 'main',
        remote: 'https://git.example/vision.git',
        dirty: true,
        diffDigest: hex('train-a'),
        entryPoint: null,
      },
      environment: {
        runtime: 'python',
        runtimeVersion: '3.12.1',
        platform: 'linux',
        arch: 'x86_64',
        lockfileDigest: hex('lock'),
      },
      hardware: { cpuCount: 8, gpus: [{ model: 'A100' }] },
      seeds: [{ key: 'torch', value: '7' }],
      artifacts: [
        { path: 'model/weights.bin', digest: hex(WEIGHTS.a), size: 2048 },
        { path: 'notes/readme.txt', digest: hex('how train-a was made'), size: 20 },
      ],
    });
  });

  it('exports the lineage as an OpenLineage RunEvent with the fields the 2-0-2 spec requires', async () => {
    const answer = await graphql<{ modelLineage: { openLineage: string } }>(server.base, viewer, LINEAGE, {
      m: 'classifier',
      v: 1,
    });
    const event = JSON.parse(answer.data!.modelLineage.openLineage) as OpenLineageRunEvent;
    expect(openLineageRunEventProblems(event)).toEqual([]);
    expect(event).toMatchObject({
      eventType: 'COMPLETE',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
      run: { runId: uuidv5('train-a', 'b5543fad-0de4-4715-afc8-04103b74b561') },
      job: { namespace: 'runlog/ml', name: 'vision' },
      inputs: [{ namespace: 'runlog-dataset', name: 's3://data/train-v1.parquet' }],
      outputs: [{ namespace: 'runlog-registry/ml', name: 'classifier/1' }],
    });
    expect(event.run.facets.runlog_run).toMatchObject({
      runId: 'train-a',
      workspace: 'ml',
      status: 'finished',
    });
    expect(event.run.facets.parent).toMatchObject({
      run: { runId: uuidv5('pipeline', 'b5543fad-0de4-4715-afc8-04103b74b561') },
      job: { namespace: 'runlog/ml', name: 'vision' },
    });
    expect(event.inputs[0].facets.runlog_dataset).toMatchObject({ digest: DATA_V1, rows: 1000 });
    expect(event.inputs[0].facets.version).toMatchObject({ datasetVersion: DATA_V1 });
    expect(event.outputs[0].facets.runlog_modelVersion).toMatchObject({
      sha256: hex(WEIGHTS.a),
      aliases: ['champion'],
    });
    expect(event.job.facets.sourceCodeLocation).toMatchObject({
      type: 'git',
      url: 'https://git.example/vision.git',
      version: COMMIT_A,
    });
    expect(event.job.facets.runlog_sourceCode).toMatchObject({
      commit: COMMIT_A,
      dirty: true,
      diffDigest: hex('train-a'),
    });
    // A run still running exports as RUNNING, timed at the version's registration.
    const running = await graphql<{ modelLineage: { openLineage: string } }>(server.base, viewer, LINEAGE, {
      m: 'classifier',
      v: 2,
    });
    const second = JSON.parse(running.data!.modelLineage.openLineage) as Record<string, unknown>;
    expect(openLineageRunEventProblems(second)).toEqual([]);
    expect(second).toMatchObject({ eventType: 'RUNNING', outputs: [{ name: 'classifier/2' }] });
  });

  it("answers another workspace's model as absent, and an unknown version as null", async () => {
    for (const variables of [
      { m: 'classifier', v: 1, w: 'other' },
      { m: 'classifier', v: 9 },
      { m: 'nothing', v: 1 },
    ]) {
      const answer = await graphql(server.base, viewer, LINEAGE, variables);
      expect(answer).toEqual({ data: { modelLineage: null } });
    }
    // The bootstrap token reads every workspace: the other one's model is there, so it was scope that hid it.
    const all = await graphql<{ modelLineage: { runId: string } }>(server.base, BOOTSTRAP, LINEAGE, {
      m: 'classifier',
      v: 1,
      w: 'other',
    });
    expect(all.data?.modelLineage.runId).toBe('train-other');
  });

  async function impact(token: string, variables: Record<string, unknown>): Promise<Impact> {
    const answer = await graphql<{ impact: Impact }>(server.base, token, IMPACT, variables);
    expect(answer.errors).toBeUndefined();
    return answer.data!.impact;
  }
  const reached = (found: Impact) => found.runs.map((run) => [run.runId, run.reachedThrough, run.depth]);
  const versions = (found: Impact) =>
    found.modelVersions.map((v) => [v.workspace, v.model, v.version, v.stage, v.aliases]);

  it('walks a dataset version forward to the runs that read it, their descendants and the model versions', async () => {
    const v1 = await impact(viewer, { d: DATA_V1 });
    expect(reached(v1)).toEqual([['train-a', 'datasetDigest', 0]]);
    expect(versions(v1)).toEqual([['ml', 'classifier', 1, 'None', ['champion']]]);
    expect(v1.truncated).toBe(false);
    const v2 = await impact(viewer, { d: DATA_V2 });
    expect(reached(v2)).toEqual([
      ['train-b', 'datasetDigest', 0],
      ['eval-b', 'parentRun', 1],
      ['eval-b-shard', 'parentRun', 2],
    ]);
    expect(versions(v2)).toEqual([['ml', 'classifier', 2, 'Staging', []]]);
    const cut = await impact(viewer, { d: DATA_V2, limit: 2 });
    expect([reached(cut).length, cut.truncated]).toEqual([2, true]);
  });

  it('walks a commit, full or abbreviated, forward to every run that ran it and what came of them', async () => {
    for (const commit of [COMMIT_A, COMMIT_A.slice(0, 7), COMMIT_A.toUpperCase()]) {
      const found = await impact(viewer, { c: commit });
      // The pipeline and its child both ran commit A: the child is reached through the commit, not again below.
      expect(reached(found)).toEqual([
        ['pipeline', 'commit', 0],
        ['train-a', 'commit', 0],
      ]);
      expect(versions(found)).toEqual([['ml', 'classifier', 1, 'None', ['champion']]]);
    }
    const b = await impact(viewer, { c: COMMIT_B });
    expect(reached(b).map(([runId]) => runId)).toEqual(['train-b', 'eval-b', 'eval-b-shard']);
    expect(versions(b)).toEqual([['ml', 'classifier', 2, 'Staging', []]]);
  });

  it("leaves other workspaces' runs and versions out, unless the caller reads them", async () => {
    expect(await impact(viewer, { d: DATA_V1, w: 'other' })).toEqual({
      runs: [],
      modelVersions: [],
      truncated: false,
    });
    const all = await impact(BOOTSTRAP, { d: DATA_V1 });
    expect(all.runs.map((run) => [run.workspace, run.runId])).toEqual([
      ['ml', 'train-a'],
      ['other', 'train-other'],
    ]);
    expect(all.modelVersions.map((v) => [v.workspace, v.version])).toEqual([
      ['ml', 1],
      ['other', 1],
    ]);
    const narrowed = await impact(BOOTSTRAP, { c: COMMIT_A, w: 'other' });
    expect(reached(narrowed)).toEqual([['train-other', 'commit', 0]]);
  });

  it('takes exactly one of datasetDigest and commit, and refuses a malformed one naming it', async () => {
    for (const [variables, field] of [
      [{}, 'datasetDigest'],
      [{ d: DATA_V1, c: COMMIT_A }, 'commit'],
      [{ c: 'not-a-commit' }, 'commit'],
      [{ c: 'abc12' }, 'commit'],
      [{ d: 'sha256:has space' }, 'datasetDigest'],
    ] as const) {
      const answer = await graphql(server.base, viewer, IMPACT, variables);
      expect(answer.data).toBeNull();
      expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const version = await graphql(server.base, viewer, LINEAGE, { m: 'classifier', v: 0 });
    expect(version.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
  });
});
