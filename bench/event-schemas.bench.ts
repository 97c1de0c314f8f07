/**
 * The compiled payload validators, per event type: what the projector spends checking each record it reads, against
 * JSON.parse of the same payload measured in the same run. `npm run bench:schemas` runs it alone.
 */
import { EventSchemas } from '../libs/events/src/event-schemas';
import type { RunlogEvent } from '../libs/events/src/run.events';
import { CURRENT_VERSIONS } from '../libs/events/src/upcasters';

const digest = 'a'.repeat(64);
const series = (points: number) => {
  const steps = Array.from({ length: points }, (_, i) => i);
  return { key: 'train/loss', steps, values: steps.map((s) => (s % 1000 === 999 ? 'NaN' : 1 / (1 + s))) };
};

/** A typical payload of every current event type; the record's type keeps it complete. */
export const SAMPLE_PAYLOADS: Record<RunlogEvent['type'], unknown> = {
  'experiment.created': { experimentId: 'exp-1', name: 'resnet sweep' },
  'experiment.renamed': { name: 'resnet-50 sweep' },
  'experiment.archived': {},
  'experiment.restored': {},
  'experiment.retention_set': { rawPointsMaxAgeDays: 90 },
  'experiment.tags_set': { tags: { team: 'vision' } },
  'experiment.tags_deleted': { keys: ['team'] },
  'sweep.created': {
    sweepId: 'sweep-1',
    experimentId: 'exp-1',
    name: 'lr x depth',
    method: 'random',
    searchSpace: {
      lr: { min: 1e-5, max: 0.1, distribution: 'log_uniform' },
      depth: { values: [18, 34, 50] },
    },
    objective: { metric: 'val/loss', goal: 'minimize' },
  },
  'run.created': {
    runId: 'run-1',
    experimentId: 'exp-1',
    name: 'trial-1',
    createdAt: 1_700_000_000_000,
    startTime: 1_700_000_000_000,
    sweepId: 'sweep-1',
    parentRunId: null,
  },
  'run.started': { startTime: 1_700_000_000_000 },
  'run.renamed': { name: 'trial-1 (best)' },
  'run.deleted': {},
  'run.restored': {},
  'run.note_set': { note: 'diverged after warmup; lr too high' },
  'run.inputs_logged': {
    inputs: [
      {
        name: 'imagenet',
        digest: `sha256:${digest}`,
        source: 's3://d/in',
        split: 'train',
        rows: 1281167,
        schemaDigest: null,
      },
    ],
  },
  'run.context_captured': {
    context: {
      code: {
        commit: 'b'.repeat(40),
        branch: 'main',
        dirty: true,
        diffDigest: digest,
        entryPoint: 'train.ts',
      },
      environment: {
        runtime: 'node',
        runtimeVersion: 'v24.11.0',
        platform: 'linux',
        arch: 'x64',
        lockfileDigest: digest,
      },
      hardware: {
        cpuModel: 'EPYC 9654',
        cpuCount: 96,
        memoryBytes: 2 ** 39,
        gpus: [{ model: 'H100', memoryBytes: 2 ** 36 }],
      },
      seeds: { torch: 42, numpy: 7 },
      user: 'ada',
      host: 'gpu-7',
    },
  },
  'run.marked_stale': { lastSeenAt: 1_700_000_000_000, timeoutMs: 900_000 },
  'run.resumed': {},
  'run.params_logged': { params: { lr: '0.001', 'optimizer.name': 'adam', batch_size: '256' } },
  'run.tags_set': { tags: { team: 'vision', stage: 'dev' } },
  'run.tags_deleted': { keys: ['stage'] },
  'run.artifact_logged': {
    path: 'model/weights.pt',
    size: 1 << 30,
    digest,
    contentType: 'application/octet-stream',
  },
  'run.media_logged': {
    key: 'confusion',
    step: 100,
    kind: 'image',
    path: 'media/confusion/100.png',
    size: 48_000,
    digest,
    contentType: 'image/png',
  },
  'run.finished': { endTime: 1_700_000_000_000 },
  'run.failed': {
    endTime: 1_700_000_000_000,
    reason: 'CUDA OOM',
    stackTrace: 'Error: OOM\n    at train (train.ts:42:7)',
  },
  'run.killed': { endTime: 1_700_000_000_000, reason: 'preempted' },
  'metrics.logged': { runId: 'run-1', series: [series(10_000)] },
  'model.created': { modelId: 'model-1', name: 'fraud-detector', description: '', tags: { team: 'risk' } },
  'model.renamed': { name: 'fraud-detector-v2', previousName: 'fraud-detector' },
  'model.described': { description: 'gradient-boosted trees on card transactions' },
  'model.tags_set': { tags: { owner: 'risk' } },
  'model.tags_deleted': { keys: ['owner'] },
  'model.deleted': { reason: 'superseded' },
  'model.policy_set': { approvalRequired: { stages: ['Production'], aliases: ['champion'] } },
  'model.version_registered': {
    version: 3,
    runId: 'run-1',
    artifactPath: 'model/model.pkl',
    sha256: digest,
    description: '',
  },
  'model.alias_set': {
    alias: 'champion',
    version: 3,
    previousVersion: 2,
    reason: 'better AUC on the holdout',
    approval: {
      approvalId: '0190f1d2-3c4b-7a5e-8f6d-1a2b3c4d5e6f',
      requestedBy: 'alice',
      approvedBy: 'bob',
      comment: 'checked the holdout report',
    },
  },
  'model.alias_deleted': { alias: 'challenger', previousVersion: 2, reason: 'rolled back' },
  'model.version_tags_set': { version: 3, tags: { validated: 'true' } },
  'model.version_tags_deleted': { version: 3, keys: ['validated'] },
  'model.version_described': { version: 3, description: 'retrained on the December data' },
  'model.version_deleted': { version: 2, stage: 'Archived', reason: 'trained on leaked labels' },
  'model.stage_transitioned': {
    version: 3,
    stage: 'Production',
    previousStage: 'Staging',
    displacedVersion: 2,
    reason: 'release 2026.12',
    approval: null,
  },
  'model.approval_requested': {
    approvalId: '0190f1d2-3c4b-7a5e-8f6d-1a2b3c4d5e6f',
    version: 3,
    target: { kind: 'stage', stage: 'Production' },
    reason: 'release 2026.12',
    requestedBy: 'alice',
  },
  'model.approval_granted': {
    approvalId: '0190f1d2-3c4b-7a5e-8f6d-1a2b3c4d5e6f',
    approvedBy: 'bob',
    comment: 'checked the holdout report',
  },
  'model.approval_rejected': {
    approvalId: '0190f1d2-3c4b-7a5e-8f6d-1a2b3c4d5e6f',
    rejectedBy: 'bob',
    comment: 'recall below the floor',
  },
  'name.claimed': { kind: 'model', name: 'fraud-detector', holder: 'model-1' },
  'name.released': { holder: 'model-1' },
};

export interface ValidatorResult {
  type: string;
  /** Microseconds per validation. */
  validateUs: number;
  /** Microseconds per JSON.parse of the same payload: the yardstick. */
  parseUs: number;
}

function timePerCall(fn: () => unknown, minMs = 150): number {
  let calls = 0;
  const started = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < minMs || calls < 5) {
    fn();
    calls++;
    elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return (elapsedMs * 1000) / calls;
}

export function benchEventValidators(): ValidatorResult[] {
  const schemas = new EventSchemas();
  return Object.entries(SAMPLE_PAYLOADS).map(([type, payload]) => {
    const v = CURRENT_VERSIONS[type as RunlogEvent['type']];
    const invalid = schemas.check(type, v, payload);
    if (invalid !== null) throw new Error(`the sample of ${type} is invalid: ${invalid}`);
    const text = JSON.stringify(payload);
    return {
      type,
      validateUs: timePerCall(() => schemas.check(type, v, payload)),
      parseUs: timePerCall(() => JSON.parse(text)),
    };
  });
}

export function printValidatorTable(results: ValidatorResult[]): void {
  console.table(
    Object.fromEntries(
      results.map((r) => [
        r.type,
        {
          'validate µs': r.validateUs.toFixed(r.validateUs < 10 ? 2 : 0),
          'JSON.parse µs': r.parseUs.toFixed(r.parseUs < 10 ? 2 : 0),
          'validate / parse': (r.validateUs / r.parseUs).toFixed(2),
        },
      ]),
    ),
  );
}

if (require.main === module) {
  console.log(
    'event payload validators (metrics.logged: one 10,000-point series with a NaN every 1,000 points)…',
  );
  printValidatorTable(benchEventValidators());
}
