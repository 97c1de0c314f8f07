import { createHash, randomUUID } from 'node:crypto';
import { send } from '../support/runlog-client';
import type { DocumentedOperation } from './operations';

/**
 * The objects the cases act on, with ids chosen here (each suite's server starts empty), so that cases can be
 * generated when jest collects them. Every operation gets its own scratch object, in the state where its valid
 * request would be accepted: a request wrongly accepted then changes that object only, not the other routes' cases.
 */
export const BASE_EXPERIMENT = 'bi-exp';
export const ARCHIVED_EXPERIMENT = 'bi-exp-archived';
export const ENDED_RUN = 'bi-run-ended';
export const DELETED_RUN = 'bi-run-deleted';
export const ARTIFACT_RUN = 'bi-run-artifacts';
export const IDEMPOTENCY_RUN = 'bi-run-idempotency';
export const OTHER_RUN = 'bi-run-other';
export const UNKNOWN_ID = 'bi-no-such-object';
/** A token id as the server makes them (16 hex digits), naming no token: revocations check the body first. */
export const UNKNOWN_TOKEN_ID = '0123456789abcdef';

export const ARTIFACT_CONTENT = 'bad-input artifact\n';
export const ARTIFACT_DIGEST = createHash('sha256').update(ARTIFACT_CONTENT).digest('hex');
export const ARTIFACT_PATH = 'reports/summary.txt';

/** A request accepted during setup: its event id is then reused by other requests (issue 10, item 6). */
export const USED_EVENT_ID = randomUUID();
export const USED_REQUEST = {
  path: `/api/v1/runs/${IDEMPOTENCY_RUN}/tags`,
  body: { eventId: USED_EVENT_ID, tags: { stage: 'one' } },
};

type ScratchState = 'running' | 'queued' | 'deleted' | 'active' | 'archived';

const SCRATCH_STATE: Record<string, ScratchState> = {
  'POST /api/v1/runs/{runId}/start': 'queued',
  'POST /api/v1/runs/{runId}/restore': 'deleted',
  'POST /api/v1/experiments/{experimentId}/restore': 'archived',
};

/** `POST /api/v1/runs/{runId}/tags/delete` → `bi-post-runs-tags-delete`. */
function slug(operation: DocumentedOperation): string {
  const words = operation.template
    .replace('/api/v1/', '')
    .replace(/\{\w+\}/g, '')
    .split(/[^a-z]+/i)
    .filter(Boolean);
  return ['bi', operation.method.toLowerCase(), ...words].join('-').slice(0, 64);
}

/** Each registry operation's scratch approval request, made in setup under this id. */
const APPROVAL_IDS = new Map<string, string>();
function approvalIdOf(operation: DocumentedOperation): string {
  const key = slug(operation);
  if (!APPROVAL_IDS.has(key)) APPROVAL_IDS.set(key, randomUUID());
  return APPROVAL_IDS.get(key)!;
}
/** A model name no model has. */
export const UNKNOWN_MODEL = 'bi-no-such-model';

/** The path values of an operation's own scratch object (downloads read the run that has an artifact). */
export function scratchPathValues(operation: DocumentedOperation): Record<string, string> {
  if (operation.method === 'GET' && operation.pathParams.includes('runId'))
    return { runId: ARTIFACT_RUN, path: ARTIFACT_PATH };
  const values: Record<string, string> = {};
  if (operation.pathParams.includes('runId')) values.runId = slug(operation);
  if (operation.pathParams.includes('experimentId')) values.experimentId = slug(operation);
  if (operation.pathParams.includes('path')) values.path = 'uploads/file.bin';
  if (operation.pathParams.includes('tokenId')) values.tokenId = UNKNOWN_TOKEN_ID;
  if (operation.pathParams.includes('name')) values.name = slug(operation);
  if (operation.pathParams.includes('version')) values.version = '1';
  if (operation.pathParams.includes('alias')) values.alias = 'champion';
  if (operation.pathParams.includes('approvalId')) values.approvalId = approvalIdOf(operation);
  return values;
}

/** A body each schema accepts: the cases change one thing of it. */
export function validBody(schemaName: string): Record<string, unknown> {
  const bodies: Record<string, Record<string, unknown>> = {
    CreateExperiment: { name: 'bad input experiment' },
    RenameExperiment: { name: 'renamed experiment' },
    SetRetention: { rawPointsMaxAgeDays: 30 },
    Bare: {},
    CreateSweep: { experimentId: BASE_EXPERIMENT, searchSpace: { lr: { values: [0.1, 0.01] } } },
    CreateRun: { experimentId: BASE_EXPERIMENT },
    StartRun: {},
    RenameRun: { name: 'renamed run' },
    SetNote: { note: 'a note' },
    LogInputs: { inputs: [{ name: 'mnist', digest: 'sha256:abc123' }] },
    LogParams: { params: { lr: 0.1 } },
    SetTags: { tags: { stage: 'two' } },
    DeleteTags: { keys: ['stage'] },
    LogMetrics: {
      worker: '3',
      metrics: [{ key: 'loss', steps: [0, 1], values: [1, 0.5], timestamps: [1700000000000, 1700000000001] }],
    },
    FinishRun: {},
    FailRun: { reason: 'out of memory' },
    KillRun: {},
    IssueToken: {
      roles: ['viewer'],
      workspace: 'bad-input',
      // Within the ten years a token may live, whenever the suite runs.
      expiresAt: new Date(Date.now() + 30 * 24 * 3600_000).toISOString(),
      description: 'a bad-input scratch token',
    },
    RevokeToken: { reason: 'rotated' },
    CreateModel: { name: 'bad input model', description: 'd', tags: { team: 'risk' } },
    RenameModel: { name: 'renamed model' },
    DescribeModel: { description: 'a model' },
    SetModelTags: { tags: { team: 'risk' } },
    DeleteModelTags: { keys: ['team'] },
    DeleteModel: { reason: 'superseded' },
    SetApprovalPolicy: { approvalRequired: { stages: ['Production'], aliases: ['champion'] } },
    RegisterModelVersion: { runId: ARTIFACT_RUN, artifactPath: ARTIFACT_PATH, sha256: ARTIFACT_DIGEST },
    SetVersionTags: { tags: { validated: 'yes' } },
    DeleteVersionTags: { keys: ['validated'] },
    DescribeVersion: { description: 'the first one' },
    DeleteVersion: { reason: 'trained on leaked labels' },
    SetAlias: { alias: 'challenger', version: 1, reason: 'canary' },
    DeleteAlias: { reason: 'rolled back' },
    TransitionStage: { stage: 'Staging', reason: 'try it' },
    RequestApproval: { version: 1, target: { stage: 'Production' }, reason: 'ship it' },
    DecideApproval: { comment: 'checked' },
    // The scratch run of the media route is given this artifact in the setup.
    LogMedia: { key: 'bad_input/table', step: 1, kind: 'table', path: ARTIFACT_PATH },
    RegisterArtifact: {
      path: 'records/summary.txt',
      digest: ARTIFACT_DIGEST,
      size: Buffer.byteLength(ARTIFACT_CONTENT),
      contentType: 'text/plain',
    },
  };
  const body = bodies[schemaName];
  if (!body) throw new Error(`no valid body for schema ${schemaName}: add one to test/bad-input/targets.ts`);
  return structuredClone(body);
}

async function must(what: string, answer: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await answer;
  if (status < 200 || status > 299)
    throw new Error(`setup: ${what} answered ${status} ${JSON.stringify(body)}`);
}

async function createRun(base: string, runId: string, state: 'running' | 'queued' | 'finished' | 'deleted') {
  await must(
    `create run ${runId}`,
    send('POST', base, '/api/v1/runs', { runId, experimentId: BASE_EXPERIMENT, queued: state === 'queued' }),
  );
  if (state === 'finished')
    await must(`finish ${runId}`, send('POST', base, `/api/v1/runs/${runId}/finish`, {}));
  if (state === 'deleted') await must(`delete ${runId}`, send('DELETE', base, `/api/v1/runs/${runId}`, {}));
}

async function createExperiment(base: string, experimentId: string, archived: boolean) {
  await must(
    `create experiment ${experimentId}`,
    send('POST', base, '/api/v1/experiments', { experimentId, name: experimentId }),
  );
  if (archived) {
    await must(
      `archive ${experimentId}`,
      send('POST', base, `/api/v1/experiments/${experimentId}/archive`, {}),
    );
  }
}

/** A scratch model with version 1 (the artifact run's file), the alias champion on it, and maybe an approval request. */
async function createModel(base: string, name: string, approvalId?: string) {
  const model = `/api/v1/models/${encodeURIComponent(name)}`;
  await must(`create model ${name}`, send('POST', base, '/api/v1/models', { name }));
  await must(
    `register ${name}/1`,
    send('POST', base, `${model}/versions`, { runId: ARTIFACT_RUN, artifactPath: ARTIFACT_PATH }),
  );
  await must(
    `alias ${name}`,
    send('POST', base, `${model}/aliases`, { alias: 'champion', version: 1, reason: 'r' }),
  );
  if (approvalId) {
    // Asked for another user than the one the cases act as: an approval by its own requester is refused.
    await must(
      `approval request on ${name}`,
      send(
        'POST',
        base,
        `${model}/approvals`,
        { eventId: approvalId, version: 1, target: { stage: 'Production' }, reason: 'r' },
        { 'x-runlog-actor': 'requester' },
      ),
    );
  }
}

/** Makes every object the cases name; fails loudly if the server refuses any of it. */
export async function prepareTargets(base: string, operations: DocumentedOperation[]): Promise<void> {
  await createExperiment(base, BASE_EXPERIMENT, false);
  await createExperiment(base, ARCHIVED_EXPERIMENT, true);
  await createRun(base, ENDED_RUN, 'finished');
  await createRun(base, DELETED_RUN, 'deleted');
  await createRun(base, OTHER_RUN, 'running');
  await createRun(base, IDEMPOTENCY_RUN, 'running');
  await must(
    'the request whose event id is reused',
    send('POST', base, USED_REQUEST.path, USED_REQUEST.body),
  );
  await createRun(base, ARTIFACT_RUN, 'running');
  await uploadArtifact(base, ARTIFACT_RUN);
  for (const operation of operations) {
    if (operation.method === 'GET') continue;
    const { runId, experimentId, name, approvalId } = scratchPathValues(operation);
    if (name) await createModel(base, name, approvalId);
    const state = SCRATCH_STATE[operation.key];
    if (runId) await createRun(base, runId, state === 'queued' || state === 'deleted' ? state : 'running');
    if (runId && operation.schemaName === 'LogMedia') await uploadArtifact(base, runId);
    if (experimentId) await createExperiment(base, experimentId, state === 'archived');
  }
}

async function uploadArtifact(base: string, runId: string): Promise<void> {
  const upload = await fetch(`${base}/api/v1/runs/${runId}/artifacts/${ARTIFACT_PATH}`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: ARTIFACT_CONTENT,
  });
  if (upload.status !== 201)
    throw new Error(`setup: upload answered ${upload.status} ${await upload.text()}`);
}
