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
}

export const READ_ARTIFACT_PATH = 'notes/a.txt';
export const METRIC_KEY = 'loss';

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
    return { experimentId, runId, sweepId, artifactDigest, inputDigest };
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
  };
}
