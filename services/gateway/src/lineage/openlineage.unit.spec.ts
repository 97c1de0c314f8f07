import { openLineageRunEventProblems } from '../../../../test/support/openlineage-spec';
import { ModelStageName } from '../registry/registry.models';
import type { LineageRun, ModelLineage } from './lineage.models';
import {
  eventTypeOf,
  OPENLINEAGE_RUN_EVENT_SCHEMA,
  openLineageRunId,
  RUNLOG_PRODUCER,
  toOpenLineageRunEvent,
} from './openlineage';

const RUN: LineageRun = {
  runId: 'train-42',
  workspace: 'ml',
  name: 'resnet lr=0.1',
  status: 'finished',
  deleted: false,
  experimentId: 'exp-1',
  experimentName: 'image-classifier',
  createdAt: Date.UTC(2026, 0, 1),
  startTime: Date.UTC(2026, 0, 1),
  endTime: Date.UTC(2026, 0, 2),
  sweep: { sweepId: 'sw-1', name: 'lr', method: 'grid', objectiveMetric: 'loss', objectiveGoal: 'minimize' },
  parent: {
    runId: 'pipeline-1',
    name: 'nightly',
    status: 'running',
    experimentId: 'exp-0',
    experimentName: 'etl',
  },
  params: [{ key: 'lr', value: '0.1' }],
  tags: [{ key: 'team', value: 'vision' }],
};

const LINEAGE: ModelLineage = {
  workspace: 'ml',
  modelId: 'm-1',
  model: 'classifier',
  version: 3,
  sha256: 'a'.repeat(64),
  artifactPath: 'model/weights.bin',
  stage: ModelStageName.Production,
  aliases: ['champion'],
  registeredAt: Date.UTC(2026, 0, 3),
  registeredBy: 'alice',
  runId: 'train-42',
  run: RUN,
  inputs: [
    {
      runId: 'train-42',
      name: 'train',
      digest: `sha256:${'b'.repeat(64)}`,
      source: 's3://data/train.parquet',
      split: 'train',
      rows: 1000,
      schemaDigest: null,
      schema: null,
      profile: null,
      tags: [],
      loggedAt: Date.UTC(2026, 0, 1),
    },
    {
      runId: 'train-42',
      name: 'eval',
      digest: `sha256:${'c'.repeat(64)}`,
      source: null,
      split: null,
      rows: null,
      schemaDigest: null,
      schema: null,
      profile: null,
      tags: [],
      loggedAt: Date.UTC(2026, 0, 1),
    },
  ],
  code: { commit: 'd'.repeat(40), branch: 'main', remote: 'https://git.example/ml.git', dirty: false },
  environment: { runtime: 'python', runtimeVersion: '3.12.1', lockfileDigest: 'e'.repeat(64) },
  hardware: { cpuCount: 8, gpus: [{ model: 'A100' }] },
  seeds: [{ key: 'torch', value: '7' }],
  artifacts: [],
};

describe('a model lineage as an OpenLineage RunEvent', () => {
  it('has every field the 2-0-2 spec requires, and each facet its base and standard fields', () => {
    const event = toOpenLineageRunEvent(LINEAGE);
    expect(openLineageRunEventProblems(JSON.parse(JSON.stringify(event)))).toEqual([]);
    expect(event).toMatchObject({
      eventType: 'COMPLETE',
      eventTime: '2026-01-02T00:00:00.000Z',
      producer: RUNLOG_PRODUCER,
      schemaURL: OPENLINEAGE_RUN_EVENT_SCHEMA,
      job: { namespace: 'runlog/ml', name: 'image-classifier' },
      inputs: [
        { namespace: 'runlog-dataset', name: 's3://data/train.parquet' },
        { namespace: 'runlog-dataset', name: 'eval' },
      ],
      outputs: [{ namespace: 'runlog-registry/ml', name: 'classifier/3' }],
    });
    expect(event.run.facets.runlog_run).toMatchObject({ runId: 'train-42', params: { lr: '0.1' } });
    expect(event.run.facets.parent).toMatchObject({
      run: { runId: openLineageRunId('pipeline-1') },
      job: { namespace: 'runlog/ml', name: 'etl' },
    });
    expect(event.inputs[0].facets.version).toMatchObject({ datasetVersion: `sha256:${'b'.repeat(64)}` });
    expect(event.outputs[0].facets.runlog_modelVersion).toMatchObject({ sha256: 'a'.repeat(64) });
    expect(event.job.facets.sourceCodeLocation).toMatchObject({ type: 'git', version: 'd'.repeat(40) });
    expect(event.job.facets.runlog_sourceCode).toMatchObject({ commit: 'd'.repeat(40), dirty: false });
  });

  it('derives a stable UUIDv5 for a run id that is not a UUID, and keeps a UUID as it is', () => {
    expect(openLineageRunId('train-42')).toBe(openLineageRunId('train-42'));
    expect(openLineageRunId('train-42')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-/);
    expect(openLineageRunId('train-43')).not.toBe(openLineageRunId('train-42'));
    const uuid = '0190F5A4-1B2C-7D3E-8F40-123456789ABC';
    expect(openLineageRunId(uuid)).toBe(uuid.toLowerCase());
  });

  it("names the run's status as the transition: ended runs complete, fail or abort", () => {
    expect(
      ['finished', 'failed', 'killed', 'running', 'stale', 'queued', undefined].map(eventTypeOf),
    ).toEqual(['COMPLETE', 'FAIL', 'ABORT', 'RUNNING', 'RUNNING', 'START', 'OTHER']);
  });

  it('is still a valid event without a visible run, code or a remote that is a URL', () => {
    const bare = toOpenLineageRunEvent({
      ...LINEAGE,
      run: null,
      inputs: [],
      code: { commit: 'f'.repeat(7), remote: 'git@git.example:ml.git' },
      environment: null,
      hardware: null,
      seeds: [],
    });
    expect(openLineageRunEventProblems(bare)).toEqual([]);
    expect(bare).toMatchObject({ eventType: 'OTHER', eventTime: '2026-01-03T00:00:00.000Z' });
    expect(bare.job.facets.sourceCodeLocation).toBeUndefined();
    expect(bare.run.runId).toBe(openLineageRunId('train-42'));
  });
});
