import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { EventEnvelope } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';
import { copyLog } from '../support/log-copy';
import { graphqlAnswer, post, waitForProjection } from '../support/runlog-client';
import { distributedEnv, removeDataDir, useRunlog } from '../support/runlog-process';
import { openServerLog } from '../support/server-log';
import { COMMIT_A, COMMIT_B, DATA_V1, DATA_V2, hex } from '../support/lineage-fixture';

const BOOTSTRAP = randomBytes(32).toString('base64url');
const CLI = join(__dirname, '..', '..', 'dist', 'services', 'cli', 'src', 'main.js');
const MODEL = 'credit-risk';
const REGISTRY = 'runlog.registry';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The auditor's questions of issue 14, answered from Runlog alone: which model was in production on a given day,
 * who put it there, who approved it, which run produced it, on which data and code, and whether the history was
 * rewritten. A model trained on two dataset versions is promoted, approved, rolled back and promoted again.
 */
describe('an auditor reconstructs who put which model in production, from what, and proves it', () => {
  const server = useRunlog({ RUNLOG_AUTH: 'tokens', RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP });
  const tokens = { alice: '', bob: '', auditor: '' };
  /** After each step of the history: the version in Production then (null: none). */
  const instants: { at: number; production: number | null }[] = [];
  const copies: string[] = [];
  let log: EventLog;
  let modelId = '';

  async function graphql<T>(
    token: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> {
    const answer = await graphqlAnswer<T>(server.base, query, variables, {
      authorization: `Bearer ${token}`,
    });
    if (answer.errors?.length) throw new Error(answer.errors.map((error) => error.message).join('; '));
    return answer.data!;
  }

  async function ok(token: string, path: string, body: unknown) {
    const answer = await post<Record<string, unknown>>(server.base, path, body, {
      authorization: `Bearer ${token}`,
    });
    if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Asked by alice, approved by bob with a comment, promoted by alice: the model's policy wants all three. */
  async function promote(version: number, replaces: number | null, reason: string) {
    const model = `/api/v1/models/${MODEL}`;
    const asked = await ok(tokens.alice, `${model}/approvals`, {
      version,
      target: { stage: 'Production' },
      reason,
    });
    const approvalId = String(asked.approvalId);
    await ok(tokens.bob, `${model}/approvals/${approvalId}/approve`, {
      comment: `reviewed v${version}: ${reason}`,
    });
    await ok(tokens.alice, `${model}/versions/${version}/stage`, {
      stage: 'Production',
      reason,
      approvalId,
      ...(replaces === null ? {} : { replaces }),
    });
    await sleep(5);
    instants.push({ at: Date.now(), production: version });
    await sleep(5);
  }

  beforeAll(async () => {
    const issue = async (principal: string, roles: string[]) =>
      String((await ok(BOOTSTRAP, '/api/v1/tokens', { principal, roles, workspace: 'default' })).token);
    tokens.alice = await issue('alice', ['writer']);
    tokens.bob = await issue('bob', ['approver']);
    tokens.auditor = await issue('auditor', ['viewer']);
    await ok(tokens.alice, '/api/v1/experiments', { experimentId: 'scoring', name: 'scoring' });
    for (const [runId, commit, digest] of [
      ['train-v1', COMMIT_A, DATA_V1],
      ['train-v2', COMMIT_B, DATA_V2],
    ]) {
      await ok(tokens.alice, '/api/v1/runs', {
        runId,
        experimentId: 'scoring',
        context: {
          code: { commit, branch: 'main', dirty: false },
          environment: { runtime: 'python', lockfileDigest: hex('lock') },
        },
      });
      await ok(tokens.alice, `/api/v1/runs/${runId}/inputs`, {
        inputs: [{ name: 'loans', digest, split: 'train' }],
      });
      const upload = await fetch(`${server.base}/api/v1/runs/${runId}/artifacts/model.pkl`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens.alice}` },
        body: `weights of ${runId}`,
      });
      expect(upload.status).toBe(201);
      await ok(tokens.alice, `/api/v1/runs/${runId}/finish`, {});
    }
    modelId = String((await ok(tokens.alice, '/api/v1/models', { name: MODEL })).modelId);
    await ok(BOOTSTRAP, `/api/v1/models/${MODEL}/policy`, {
      approvalRequired: { stages: ['Production'], aliases: [] },
    });
    await ok(tokens.alice, `/api/v1/models/${MODEL}/versions`, {
      runId: 'train-v1',
      artifactPath: 'model.pkl',
    });
    await ok(tokens.alice, `/api/v1/models/${MODEL}/versions`, {
      runId: 'train-v2',
      artifactPath: 'model.pkl',
    });
    await sleep(5);
    instants.push({ at: Date.now(), production: null });
    await sleep(5);
    await promote(1, null, 'first release');
    await promote(2, 1, 'retrained on loans v2');
    await promote(1, 2, 'rollback: v2 drifted');
    await promote(2, 1, 'v2 fixed and re-approved');
    await waitForProjection(server.base, 60_000, { authorization: `Bearer ${BOOTSTRAP}` });
    log = await openServerLog(server.dataDir);
  });

  afterAll(async () => {
    await log?.close();
    copies.forEach(removeDataDir);
  });

  it('answers which version was in Production at five instants, folded from the log as of each', async () => {
    expect(instants).toHaveLength(5);
    for (const { at, production } of instants) {
      const { modelAsOf } = await graphql<{
        modelAsOf: { chainIntact: boolean; model: { versions: { version: number; stage: string }[] } };
      }>(
        tokens.auditor,
        'query($at: Float!) { modelAsOf(name: "credit-risk", asOf: $at) { chainIntact model { versions { version stage } } } }',
        { at },
      );
      const held = modelAsOf.model.versions.filter((version) => version.stage === 'Production');
      expect([at, held.map((version) => version.version)]).toEqual([
        at,
        production === null ? [] : [production],
      ]);
      expect(modelAsOf.chainIntact).toBe(true);
    }
  });

  it('names who put it there, why, who approved it with what comment, and what it displaced', async () => {
    const { registeredModel } = await graphql<{
      registeredModel: { promotions: Record<string, unknown>[] };
    }>(
      tokens.auditor,
      `{ registeredModel(name: "${MODEL}") { promotions { version stage previousHolder actor reason at approval { requestedBy approvedBy comment } } } }`,
    );
    const toProduction = registeredModel.promotions.filter((promotion) => promotion.stage === 'Production');
    expect(
      toProduction.map(({ version, previousHolder, actor, reason, approval }) => ({
        version,
        previousHolder,
        actor,
        reason,
        approval,
      })),
    ).toEqual([
      {
        version: 1,
        previousHolder: null,
        actor: 'alice',
        reason: 'first release',
        approval: { requestedBy: 'alice', approvedBy: 'bob', comment: 'reviewed v1: first release' },
      },
      {
        version: 2,
        previousHolder: 1,
        actor: 'alice',
        reason: 'retrained on loans v2',
        approval: { requestedBy: 'alice', approvedBy: 'bob', comment: 'reviewed v2: retrained on loans v2' },
      },
      {
        version: 1,
        previousHolder: 2,
        actor: 'alice',
        reason: 'rollback: v2 drifted',
        approval: { requestedBy: 'alice', approvedBy: 'bob', comment: 'reviewed v1: rollback: v2 drifted' },
      },
      {
        version: 2,
        previousHolder: 1,
        actor: 'alice',
        reason: 'v2 fixed and re-approved',
        approval: {
          requestedBy: 'alice',
          approvedBy: 'bob',
          comment: 'reviewed v2: v2 fixed and re-approved',
        },
      },
    ]);
    // Each promotion happened within the instants the history was taken at.
    const times = toProduction.map((promotion) => Number(promotion.at));
    times.forEach((time, i) => expect(time).toBeGreaterThan(instants[i].at));
  });

  it('walks the version in Production on day D back to its run, its data and its code, and a dataset forward', async () => {
    const lineageOf = async (version: number) =>
      (
        await graphql<{
          modelLineage: { run: { runId: string }; inputs: { digest: string }[]; code: { commit: string } };
        }>(
          tokens.auditor,
          'query($v: Int!) { modelLineage(model: "credit-risk", version: $v) { run { runId } inputs { digest } code { commit } } }',
          { v: version },
        )
      ).modelLineage;
    // Day D: between the second promotion and the rollback, v2 was in Production.
    expect(instants[2].production).toBe(2);
    expect(await lineageOf(2)).toEqual({
      run: { runId: 'train-v2' },
      inputs: [{ digest: DATA_V2 }],
      code: { commit: COMMIT_B },
    });
    expect(await lineageOf(1)).toEqual({
      run: { runId: 'train-v1' },
      inputs: [{ digest: DATA_V1 }],
      code: { commit: COMMIT_A },
    });
    const { impact } = await graphql<{ impact: { modelVersions: { model: string; version: number }[] } }>(
      tokens.auditor,
      'query($d: String!) { impact(datasetDigest: $d) { modelVersions { model version } } }',
      { d: DATA_V1 },
    );
    expect(impact.modelVersions).toEqual([{ model: MODEL, version: 1 }]);
  });

  it('proves the history intact, and catches and locates each rewrite of it', async () => {
    const { auditVerify } = await graphql<{ auditVerify: { ok: boolean; breakCount: number } }>(
      BOOTSTRAP,
      '{ auditVerify(topics: ["runlog.registry", "runlog.lifecycle"]) { ok breakCount } }',
    );
    expect(auditVerify).toEqual({ ok: true, breakCount: 0 });
    const stream = `model:${modelId}`;
    const tampers: [string, (events: EventEnvelope[]) => EventEnvelope[], Record<string, unknown>][] = [
      [
        'an approver replaced',
        (events) => {
          const at = events.findIndex((e) => e.stream === stream && e.type === 'model.approval_granted');
          return events.map((e, i) =>
            i === at ? { ...e, payload: { ...(e.payload as object), approvedBy: 'mallory' } } : e,
          );
        },
        { reason: 'hash_mismatch', stream },
      ],
      [
        'the rollback erased',
        (events) => {
          const promotions = events.filter(
            (e) => e.stream === stream && e.type === 'model.stage_transitioned',
          );
          const rollback = promotions.find((e) =>
            (e.payload as { reason: string }).reason.startsWith('rollback'),
          );
          return events.filter((e) => e !== rollback);
        },
        { reason: 'prev_hash_mismatch', stream },
      ],
    ];
    for (const [name, tamper, expected] of tampers) {
      const copy = await copyLog(log, [REGISTRY], (topic, _partition, events) =>
        topic === REGISTRY ? tamper(events) : events,
      );
      copies.push(copy);
      const cli = await auditCli(copy);
      expect([name, cli.code]).toEqual([name, 1]);
      const report = JSON.parse(cli.stdout) as { breakCount: number; firstBreak: Record<string, unknown> };
      expect([name, report.firstBreak]).toEqual([name, expect.objectContaining(expected)]);
      expect(report.firstBreak.position).toEqual(expect.any(Number));
    }
  });
});

function auditCli(dataDir: string): Promise<{ code: number | null; stdout: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RUNLOG_')),
  );
  const child = spawn(process.execPath, [CLI, 'audit', 'verify', '--json', '--topics', REGISTRY], {
    env: { ...inherited, RUNLOG_DATA_DIR: dataDir, ...distributedEnv(dataDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
}
