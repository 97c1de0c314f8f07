import { randomBytes, randomUUID } from 'node:crypto';
import type { AccessRole } from '../../libs/access/src';
import { call, sha256, type HttpCall } from './authz-client';

/** The two workspaces of the matrix: the role tokens' own one, and one they hold nothing in. */
export type Workspace = 'own' | 'other';

/** What the shared read fixture holds in one workspace: every id a read names, and digests only it has. */
export interface ReadIds {
  experimentId: string;
  runId: string;
  sweepId: string;
  /** Digest of an artifact of the run whose content exists nowhere else. */
  artifactDigest: string;
  /** Digest of a dataset only this run read. */
  inputDigest: string;
  /**
   * A registered model of the workspace (fixtureModelName): version 1 is the run's artifact, in Staging, under alias
   * `champion`; two approval requests for it (to Production) are pending, both made by the bootstrap principal.
   */
  modelName: string;
  modelId: string;
  /**
   * Two approval requests, made for `matrix-requester` (the bootstrap token acts for it) and decided by the
   * bootstrap principal: one approved under approveEventId, one rejected under rejectEventId (comment "ok").
   */
  approvalId: string;
  rejectionId: string;
  /** A model deleted (its name free again). */
  deletedModelName: string;
  /**
   * Idempotency keys a GraphQL mutation sends to retry a command of the fixture (acknowledged, nothing appended):
   * in `own`, the eventIds the model's create, its version's registration, the request `approvalId` and the delete
   * of `deletedModelName` were made under. An eventId is one key across the whole log, so one that another
   * workspace used is refused as used wherever it is sent (a property of any shared key, not of that workspace's
   * content): the other workspace's fixture is made under keys of its own, and its ids here are ones nothing used.
   */
  createEventId: string;
  versionEventId: string;
  requestEventId: string;
  deleteEventId: string;
  /** The delete of the model's version 2 (registered, then deleted, so that a retry of it appends nothing). */
  versionDeleteEventId: string;
  approveEventId: string;
  rejectEventId: string;
}

export const READ_ARTIFACT_PATH = 'notes/a.txt';
export const METRIC_KEY = 'loss';
/** The alias the read fixture's model version holds, and the reason every registry fixture gives. */
export const MODEL_ALIAS = 'champion';
export const MODEL_REASON = 'matrix';
/** The tags of the read fixture's model version 1. */
export const MODEL_VERSION_TAGS = { matrix: 'yes' };

const FIXTURE_RUN = randomBytes(4).toString('hex');
/** The name of the read fixture's model in a workspace (the same for the whole test process). */
export const fixtureModelName = (workspace: Workspace) => `matrix-model-${workspace}-${FIXTURE_RUN}`;

/** What every registry command answers. */
export interface ModelAnswer {
  modelId: string;
  workspace: string;
  model: {
    name: string;
    createdBy: string;
    versions: Record<
      string,
      {
        stage: string;
        registeredBy: string;
        stageChangedBy: string;
        description: string;
        tags?: Record<string, string>;
      }
    >;
    deletedVersions?: Record<string, { deletedBy: string }>;
    aliases: Record<string, number>;
    approvals: Record<string, { status: string; requestedBy: string; decidedBy: string | null }>;
    tags: Record<string, string>;
    policy: { stages: string[]; aliases: string[] };
  };
  eventIds: string[];
  appended: boolean;
  approvalId?: string;
}

/** The bootstrap token's side of the matrix: it makes every fixture, in either workspace, and reads behind. */
export class Bootstrap {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  async ok<T = Record<string, unknown>>(request: HttpCall): Promise<T> {
    // The bootstrap token may act on behalf of others: it names nobody, so its events carry no onBehalfOf.
    const answer = await call(this.base, this.token, request, { forgeActor: false });
    if (answer.status >= 300) {
      throw new Error(`fixture ${request.method} ${request.path}: ${answer.status} ${answer.text}`);
    }
    return answer.json as T;
  }

  async experiment(workspace: Workspace): Promise<string> {
    const made = await this.ok<{ experimentId: string }>({
      method: 'POST',
      path: '/api/v1/experiments',
      body: { name: `matrix-${randomBytes(3).toString('hex')}` },
      headers: { 'x-runlog-workspace': workspace },
    });
    return made.experimentId;
  }

  /** A run (running, or queued) of a new experiment, or of `experimentId`; it goes to the experiment's workspace. */
  async run(
    workspace: Workspace,
    options: { experimentId?: string; sweepId?: string; queued?: boolean } = {},
  ): Promise<{ experimentId: string; runId: string }> {
    const experimentId = options.experimentId ?? (await this.experiment(workspace));
    const made = await this.ok<{ runId: string }>({
      method: 'POST',
      path: '/api/v1/runs',
      body: {
        experimentId,
        name: 'matrix-run',
        ...(options.sweepId ? { sweepId: options.sweepId } : {}),
        ...(options.queued ? { queued: true } : {}),
      },
    });
    return { experimentId, runId: made.runId };
  }

  async sweep(experimentId: string): Promise<string> {
    const made = await this.ok<{ sweepId: string }>({
      method: 'POST',
      path: '/api/v1/sweeps',
      body: {
        experimentId,
        name: 'matrix-sweep',
        searchSpace: { lr: { min: 0, max: 1 } },
        objective: { metric: METRIC_KEY, goal: 'minimize' },
      },
    });
    return made.sweepId;
  }

  async logPoints(runId: string, steps: number[]): Promise<void> {
    await this.ok({
      method: 'POST',
      path: `/api/v1/runs/${runId}/metrics`,
      body: { metrics: [{ key: METRIC_KEY, steps, values: steps.map((step) => 1 / (step + 1)) }] },
    });
  }

  /** Stores `content` as an artifact of the run; answers its sha256. */
  async upload(runId: string, path: string, content: string): Promise<string> {
    await this.ok({
      method: 'PUT',
      path: `/api/v1/runs/${runId}/artifacts/${path}`,
      raw: { data: content, contentType: 'text/plain' },
    });
    return sha256(content);
  }

  /** A registered model in the workspace, made by the bootstrap principal; answers its name. */
  async model(
    workspace: Workspace,
    body: { name?: string; eventId?: string; tags?: Record<string, string> } = {},
  ): Promise<string> {
    const name = body.name ?? `matrix-model-${randomBytes(6).toString('hex')}`;
    await this.ok({
      method: 'POST',
      path: '/api/v1/models',
      body: { ...body, name },
      headers: { 'x-runlog-workspace': workspace },
    });
    return name;
  }

  /** A command of the registry on the named model of the workspace: `/api/v1/models/<name>/<action>`. */
  async modelCommand(
    workspace: Workspace,
    name: string,
    action: string,
    body: Record<string, unknown>,
    method: 'POST' | 'DELETE' = 'POST',
  ): Promise<ModelAnswer> {
    return this.ok<ModelAnswer>({
      method,
      path: `/api/v1/models/${encodeURIComponent(name)}${action === '' ? '' : `/${action}`}`,
      body,
      headers: { 'x-runlog-workspace': workspace },
    });
  }

  /**
   * A model of the workspace with version 1 from the read fixture's artifact of `runId` (a run of the same
   * workspace), then each of `steps` in turn: into Staging, under alias MODEL_ALIAS, an approval request (to
   * Production) under the given eventId.
   */
  async versionedModel(
    workspace: Workspace,
    runId: string,
    steps: { name?: string; staged?: boolean; aliased?: boolean; approvalIds?: string[] } = {},
  ): Promise<string> {
    const name = await this.model(workspace, steps.name === undefined ? {} : { name: steps.name });
    await this.modelCommand(workspace, name, 'versions', { runId, artifactPath: READ_ARTIFACT_PATH });
    if (steps.staged) {
      await this.modelCommand(workspace, name, 'versions/1/stage', {
        stage: 'Staging',
        reason: MODEL_REASON,
      });
    }
    if (steps.aliased) {
      await this.modelCommand(workspace, name, 'aliases', {
        alias: MODEL_ALIAS,
        version: 1,
        reason: MODEL_REASON,
      });
    }
    for (const eventId of steps.approvalIds ?? []) await this.approvalRequest(workspace, name, eventId);
    return name;
  }

  /**
   * An approval request (version 1 to Production) made under `eventId` for `matrix-requester`, whom the bootstrap
   * token acts for: so that the bootstrap principal, or any approver of the matrix, may decide it. Its id.
   */
  async approvalRequest(workspace: Workspace, name: string, eventId: string = randomUUID()): Promise<string> {
    const made = await this.ok<ModelAnswer>({
      method: 'POST',
      path: `/api/v1/models/${encodeURIComponent(name)}/approvals`,
      body: { version: 1, target: { stage: 'Production' }, reason: MODEL_REASON, eventId },
      headers: { 'x-runlog-workspace': workspace, 'x-runlog-actor': 'matrix-requester' },
    });
    return made.approvalId ?? eventId;
  }

  async issue(roles: AccessRole[], workspace: string, principal: string) {
    return this.ok<{ token: string; tokenId: string }>({
      method: 'POST',
      path: '/api/v1/tokens',
      body: { roles, workspace, principal, description: 'authorization matrix' },
    });
  }

  /** Everything a read of the workspace names: an experiment, a sweep, a run with params, tags, points, an input
   * and an artifact (each digest unique to this workspace). */
  async readFixture(workspace: Workspace): Promise<ReadIds> {
    const experimentId = await this.experiment(workspace);
    const sweepId = await this.sweep(experimentId);
    const { runId } = await this.run(workspace, { experimentId, sweepId });
    const inputDigest = `sha256:${sha256(`input-${workspace}-${randomBytes(8).toString('hex')}`)}`;
    await this.ok({ method: 'POST', path: `/api/v1/runs/${runId}/params`, body: { params: { lr: 0.1 } } });
    await this.ok({
      method: 'POST',
      path: `/api/v1/runs/${runId}/tags`,
      body: { tags: { team: workspace } },
    });
    await this.ok({
      method: 'POST',
      path: `/api/v1/runs/${runId}/inputs`,
      body: { inputs: [{ name: 'train', digest: inputDigest }] },
    });
    await this.logPoints(runId, [0, 1, 2, 3, 4]);
    const artifactDigest = await this.upload(
      runId,
      READ_ARTIFACT_PATH,
      `artifact of ${workspace} ${randomBytes(8).toString('hex')}`,
    );
    return {
      experimentId,
      runId,
      sweepId,
      artifactDigest,
      inputDigest,
      ...(await this.modelFixture(workspace, runId)),
    };
  }

  /** The registry part of the read fixture, in the bodies the GraphQL mutations send (a retry's digest is the same). */
  private async modelFixture(workspace: Workspace, runId: string) {
    const keys = {
      createEventId: randomUUID(),
      versionEventId: randomUUID(),
      requestEventId: randomUUID(),
      deleteEventId: randomUUID(),
      versionDeleteEventId: randomUUID(),
      approveEventId: randomUUID(),
      rejectEventId: randomUUID(),
    };
    const modelName = fixtureModelName(workspace);
    await this.model(workspace, { name: modelName, eventId: keys.createEventId });
    await this.modelCommand(workspace, modelName, 'versions', {
      runId,
      artifactPath: READ_ARTIFACT_PATH,
      eventId: keys.versionEventId,
    });
    await this.modelCommand(workspace, modelName, 'versions/1/stage', {
      stage: 'Staging',
      reason: MODEL_REASON,
    });
    await this.modelCommand(workspace, modelName, 'versions/1/tags', { tags: MODEL_VERSION_TAGS });
    await this.modelCommand(workspace, modelName, 'versions', { runId, artifactPath: READ_ARTIFACT_PATH });
    await this.modelCommand(
      workspace,
      modelName,
      'versions/2',
      { reason: MODEL_REASON, eventId: keys.versionDeleteEventId },
      'DELETE',
    );
    await this.modelCommand(workspace, modelName, 'aliases', {
      alias: MODEL_ALIAS,
      version: 1,
      reason: MODEL_REASON,
    });
    const approvalId = await this.approvalRequest(workspace, modelName, keys.requestEventId);
    const rejectionId = await this.approvalRequest(workspace, modelName);
    await this.modelCommand(workspace, modelName, `approvals/${approvalId}/approve`, {
      comment: 'ok',
      eventId: keys.approveEventId,
    });
    await this.modelCommand(workspace, modelName, `approvals/${rejectionId}/reject`, {
      comment: 'ok',
      eventId: keys.rejectEventId,
    });
    const deletedModelName = await this.model(workspace);
    await this.modelCommand(
      workspace,
      deletedModelName,
      '',
      { reason: MODEL_REASON, eventId: keys.deleteEventId },
      'DELETE',
    );
    const unused = {
      createEventId: randomUUID(),
      versionEventId: randomUUID(),
      requestEventId: randomUUID(),
      deleteEventId: randomUUID(),
      versionDeleteEventId: randomUUID(),
      approveEventId: randomUUID(),
      rejectEventId: randomUUID(),
    };
    return {
      modelName,
      modelId: keys.createEventId,
      approvalId,
      rejectionId,
      deletedModelName,
      ...(workspace === 'own' ? keys : unused),
    };
  }

  /** A GraphQL answer as sent (status and body), with this token. */
  async graphql(query: string, variables: Record<string, unknown> = {}) {
    return call(
      this.base,
      this.token,
      { method: 'POST', path: '/graphql', body: { query, variables } },
      { forgeActor: false },
    );
  }

  /** Until every topic's projection has caught up with the log. */
  async waitForProjection(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.graphql('{ projectionLag { lag } }');
      const lags = (answer.json as { data?: { projectionLag: { lag: number }[] } }).data?.projectionLag;
      if (lags?.every((lag) => lag.lag === 0)) return;
      if (Date.now() > deadline) throw new Error(`projection still behind: ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Ids of the same shapes that name nothing. */
export function unknownReadIds(): ReadIds {
  const hex = () => randomBytes(16).toString('hex');
  return {
    experimentId: randomUUID(),
    runId: randomUUID(),
    sweepId: randomUUID(),
    artifactDigest: sha256(hex()),
    inputDigest: `sha256:${sha256(hex())}`,
    modelName: `matrix-model-${hex()}`,
    modelId: randomUUID(),
    approvalId: randomUUID(),
    rejectionId: randomUUID(),
    deletedModelName: `matrix-model-${hex()}`,
    createEventId: randomUUID(),
    versionEventId: randomUUID(),
    requestEventId: randomUUID(),
    deleteEventId: randomUUID(),
    versionDeleteEventId: randomUUID(),
    approveEventId: randomUUID(),
    rejectEventId: randomUUID(),
  };
}
