import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { foldModel } from '../../libs/domain/src/folds';
import type { EventEnvelope } from '../../libs/events/src/envelope';
import { graphqlAnswer, post, projectionLag, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

const BOOTSTRAP = randomBytes(32).toString('base64url');
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

const graphql = <T>(base: string, token: string, query: string, variables: Record<string, unknown> = {}) =>
  graphqlAnswer<T>(base, query, variables, auth(token));

const MODEL_FIELDS = `modelId name workspace status
  versions { version runId artifactPath sha256 stage aliases registeredBy }
  aliases { alias version } approvals { approvalId version stage alias status requestedBy decidedBy comment }
  approvalRequired { stages aliases }`;
const RESULT = `{ model { ${MODEL_FIELDS} } eventIds appended approvalId consistencyToken }`;
const TRANSITION = `mutation($stage: ModelStage!, $p: PromotionInput!) { transitionStage(stage: $stage, promotion: $p) ${RESULT} }`;
const SET_ALIAS = `mutation($alias: String!, $p: PromotionInput!) { setAlias(alias: $alias, promotion: $p) ${RESULT} }`;

interface ModelView {
  modelId: string;
  name: string;
  workspace: string;
  status: string;
  versions: { version: number; stage: string; aliases: string[]; sha256: string; registeredBy: string }[];
  aliases: { alias: string; version: number }[];
  approvals: { approvalId: string; status: string; requestedBy: string; decidedBy: string | null }[];
}
type Result = { model: ModelView; eventIds: string[]; appended: boolean; approvalId: string | null };

/** Sum of every topic's end offset: moves if and only if something was appended. */
const logEnd = async (base: string) =>
  (await projectionLag(base, auth(BOOTSTRAP))).reduce((sum, lag) => sum + lag.endOffset, 0);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the model registry: promotions through GraphQL and the ingest API, decided in log order', () => {
  const server = useRunlog({ RUNLOG_AUTH: 'tokens', RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP });
  const tokens: Record<'alice' | 'bob' | 'viewer', string> = { alice: '', bob: '', viewer: '' };
  const RUN = 'registry-run';
  const weights = randomBytes(4096);

  beforeAll(async () => {
    const { base } = server;
    for (const [name, roles] of [
      ['alice', ['writer']],
      ['bob', ['approver']],
      ['viewer', ['viewer']],
    ] as const) {
      const issued = await post<{ token: string }>(
        base,
        '/api/v1/tokens',
        { principal: name, roles: [...roles], workspace: 'default' },
        auth(BOOTSTRAP),
      );
      expect(issued.status).toBe(201);
      tokens[name] = issued.body.token;
    }
    const alice = auth(tokens.alice);
    expect(
      (await post(base, '/api/v1/experiments', { experimentId: 'registry', name: 'registry' }, alice)).status,
    ).toBe(201);
    expect((await post(base, '/api/v1/runs', { experimentId: 'registry', runId: RUN }, alice)).status).toBe(
      201,
    );
    const uploaded = await fetch(`${base}/api/v1/runs/${RUN}/artifacts/model/weights.bin`, {
      method: 'PUT',
      headers: alice,
      body: weights,
    });
    expect(uploaded.status).toBe(201);
  });

  async function createModel(name: string): Promise<Result> {
    const created = await graphql<{ createRegisteredModel: Result }>(
      server.base,
      tokens.alice,
      'mutation($n: String!) { createRegisteredModel(name: $n) ' + RESULT + ' }',
      { n: name },
    );
    expect(created.errors).toBeUndefined();
    return created.data!.createRegisteredModel;
  }

  async function registerVersions(name: string, count: number): Promise<void> {
    for (let v = 1; v <= count; v++) {
      const registered = await post(
        server.base,
        `/api/v1/models/${encodeURIComponent(name)}/versions`,
        { runId: RUN, artifactPath: 'model/weights.bin' },
        auth(tokens.alice),
      );
      expect(registered).toMatchObject({ status: 201 });
    }
  }

  it('registers versions from a run artifact, with the sha256 the run recorded; names are unique per workspace', async () => {
    const created = await createModel('fraud');
    expect(created.model).toMatchObject({
      name: 'fraud',
      workspace: 'default',
      status: 'active',
      versions: [],
    });
    await registerVersions('fraud', 2);
    const again = await graphql(
      server.base,
      tokens.alice,
      'mutation { createRegisteredModel(name: "fraud") { appended } }',
    );
    expect(again.errors?.[0].extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'name_taken',
      field: 'name',
    });

    const wrongDigest = await post(
      server.base,
      '/api/v1/models/fraud/versions',
      { runId: RUN, artifactPath: 'model/weights.bin', sha256: '0'.repeat(64) },
      auth(tokens.alice),
    );
    expect(wrongDigest).toMatchObject({ status: 400, body: { error: 'validation_failed', field: 'sha256' } });
    const noArtifact = await post(
      server.base,
      '/api/v1/models/fraud/versions',
      { runId: RUN, artifactPath: 'model/missing.bin' },
      auth(tokens.alice),
    );
    expect(noArtifact).toMatchObject({ status: 404, body: { field: 'artifactPath' } });

    await waitForProjection(server.base, 60_000, auth(BOOTSTRAP));
    const read = await graphql<{ registeredModel: ModelView }>(
      server.base,
      tokens.viewer,
      `{ registeredModel(name: "fraud") { ${MODEL_FIELDS} } }`,
    );
    const listed = await graphql<{ registeredModels: { name: string }[] }>(
      server.base,
      tokens.viewer,
      '{ registeredModels { name } }',
    );
    expect(listed.data?.registeredModels.map((model) => model.name)).toContain('fraud');
    expect(read.data?.registeredModel.versions.map((v) => [v.version, v.sha256, v.registeredBy])).toEqual([
      [1, sha256(weights), 'alice'],
      [2, sha256(weights), 'alice'],
    ]);
  });

  it("does not tell another workspace's names from free ones: the permission is checked there first", async () => {
    const other = { 'x-runlog-workspace': 'other' };
    expect(
      (await post(server.base, '/api/v1/models', { name: 'secret' }, { ...auth(BOOTSTRAP), ...other }))
        .status,
    ).toBe(201);
    expect(
      (await post(server.base, '/api/v1/experiments', { name: 'secret' }, { ...auth(BOOTSTRAP), ...other }))
        .status,
    ).toBe(201);
    const asAlice = (path: string, body: unknown) =>
      post(server.base, path, body, { ...auth(tokens.alice), ...other });
    for (const [taken, free] of [
      [asAlice('/api/v1/models', { name: 'secret' }), asAlice('/api/v1/models', { name: 'free-name' })],
      [
        asAlice('/api/v1/models/secret/rename', { name: 'x' }),
        asAlice('/api/v1/models/free-name/rename', { name: 'x' }),
      ],
      [
        asAlice('/api/v1/experiments', { name: 'secret' }),
        asAlice('/api/v1/experiments', { name: 'free-name' }),
      ],
    ]) {
      const [a, b] = await Promise.all([taken, free]);
      expect(a).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'authorization' } });
      expect(JSON.stringify(a.body).replaceAll('secret', 'free-name')).toBe(JSON.stringify(b.body));
    }
  });

  it('refuses bad input with a 4xx naming the field, and appends nothing', async () => {
    await createModel('strict');
    await registerVersions('strict', 1);
    const before = await logEnd(server.base);
    const cases: [string, unknown, string][] = [
      ['/api/v1/models/strict/versions/1/stage', { stage: 'Live', reason: 'r' }, 'stage'],
      ['/api/v1/models/strict/versions/1/stage', { stage: 'Production' }, 'reason'],
      ['/api/v1/models/strict/versions/0/stage', { stage: 'Production', reason: 'r' }, 'version'],
      ['/api/v1/models/strict/aliases', { alias: 'latest', version: 1, reason: 'r' }, 'alias'],
      ['/api/v1/models/strict/aliases', { alias: 'champion', version: 1, reason: '' }, 'reason'],
      ['/api/v1/models/strict/aliases', { alias: 'champion', version: 9, reason: 'r' }, 'version'],
      ['/api/v1/models/strict/approvals', { version: 1, target: {}, reason: 'r' }, 'target'],
      ['/api/v1/models', { name: ' padded' }, 'name'],
      ['/api/v1/models/nothing-here/rename', { name: 'x' }, 'name'],
    ];
    for (const [path, body, field] of cases) {
      const answer = await post(server.base, path, body, auth(tokens.alice));
      expect([path, answer.status >= 400 && answer.status < 500]).toEqual([path, true]);
      expect(String((answer.body as { field?: string }).field)).toContain(field);
    }
    // Any alias outside the pattern, and any version outside 1..1e9, is refused before it reaches the log.
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.constantFrom('latest', 'v1', 'v42', '1abc', 'a'.repeat(65)),
        ),
        fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1_000_000_001 }), fc.double()),
        async (alias, version) => {
          const valid = /^(?!latest$)(?!v[0-9]+$)[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(alias);
          const answer = await post(
            server.base,
            '/api/v1/models/strict/aliases',
            { alias, version, reason: 'r' },
            auth(tokens.alice),
          );
          expect(answer.status).toBe(400);
          expect(['alias', 'version']).toContain((answer.body as { field: string }).field);
          if (!valid) expect((answer.body as { field: string }).field).toBe('alias');
        },
      ),
      { numRuns: 40 },
    );
    expect(await logEnd(server.base)).toBe(before);
  });

  it('makes promotions compare-and-set: a stale holder is a conflict naming the one there; the displaced version is archived', async () => {
    await createModel('churn');
    await registerVersions('churn', 3);
    const promote = (version: number, replaces?: number) =>
      graphql<{ transitionStage: Result }>(server.base, tokens.alice, TRANSITION, {
        stage: 'Production',
        p: {
          model: 'churn',
          version,
          reason: `ship v${version}`,
          ...(replaces === undefined ? {} : { replaces }),
        },
      });
    expect((await promote(1)).data?.transitionStage.model.versions.map((v) => v.stage)).toEqual([
      'Production',
      'None',
      'None',
    ]);
    const stale = await promote(2);
    expect(stale.errors?.[0].message).toContain('is held by version 1');
    expect(stale.errors?.[0].extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'promotion_conflict',
      field: 'replaces',
    });
    const moved = await promote(2, 1);
    expect(moved.data?.transitionStage.model.versions.map((v) => v.stage)).toEqual([
      'Archived',
      'Production',
      'None',
    ]);
    // The same promotion again is a retry's no-op, not a conflict.
    expect((await promote(2, 1)).data?.transitionStage.appended).toBe(false);

    const alias = await graphql<{ setAlias: Result }>(server.base, tokens.alice, SET_ALIAS, {
      alias: 'champion',
      p: { model: 'churn', version: 3, reason: 'canary' },
    });
    expect(alias.data?.setAlias.model.aliases).toEqual([{ alias: 'champion', version: 3 }]);
    const taken = await graphql(server.base, tokens.alice, SET_ALIAS, {
      alias: 'champion',
      p: { model: 'churn', version: 2, reason: 'revert' },
    });
    expect(taken.errors?.[0].message).toContain('is held by version 3');

    await waitForProjection(server.base, 60_000, auth(BOOTSTRAP));
    const history = await graphql<{ registeredModel: { promotions: Record<string, unknown>[] } }>(
      server.base,
      tokens.viewer,
      '{ registeredModel(name: "churn") { promotions { kind version stage previousStage alias previousHolder reason actor } } }',
    );
    expect(history.data?.registeredModel.promotions).toEqual([
      {
        kind: 'stage',
        version: 1,
        stage: 'Production',
        previousStage: 'None',
        alias: null,
        previousHolder: null,
        reason: 'ship v1',
        actor: 'alice',
      },
      {
        kind: 'stage',
        version: 2,
        stage: 'Production',
        previousStage: 'None',
        alias: null,
        previousHolder: 1,
        reason: 'ship v2',
        actor: 'alice',
      },
      {
        kind: 'stage',
        version: 1,
        stage: 'Archived',
        previousStage: 'Production',
        alias: null,
        previousHolder: null,
        reason: 'displaced from Production by version 2',
        actor: 'alice',
      },
      {
        kind: 'alias_set',
        version: 3,
        stage: null,
        previousStage: null,
        alias: 'champion',
        previousHolder: null,
        reason: 'canary',
        actor: 'alice',
      },
    ]);
  });

  it('holds Production behind an approval by another user, with a comment, recorded with the promotion', async () => {
    await createModel('credit');
    await registerVersions('credit', 1);
    const policy = await graphql(
      server.base,
      BOOTSTRAP,
      'mutation { setModelApprovalPolicy(name: "credit", stages: [Production], aliases: ["champion"]) { appended } }',
    );
    expect(policy.errors).toBeUndefined();
    const unapproved = await graphql(server.base, tokens.alice, TRANSITION, {
      stage: 'Production',
      p: { model: 'credit', version: 1, reason: 'ship' },
    });
    expect(unapproved.errors?.[0].extensions).toMatchObject({
      reason: 'approval_required',
      field: 'approvalId',
    });

    const asked = await graphql<{ requestApproval: Result }>(
      server.base,
      tokens.alice,
      'mutation { requestApproval(model: "credit", version: 1, stage: Production, reason: "ship") ' +
        RESULT +
        ' }',
    );
    const approvalId = asked.data!.requestApproval.approvalId!;
    expect(approvalId).toMatch(/^[0-9a-f-]{36}$/);
    const approveAs = (token: string) =>
      graphql(
        server.base,
        token,
        'mutation($id: ID!) { approve(model: "credit", approvalId: $id, comment: "holdout checked") { appended } }',
        {
          id: approvalId,
        },
      );
    // A writer does not hold the approve permission, and its own request would not count anyway.
    expect((await approveAs(tokens.alice)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await approveAs(tokens.bob)).errors).toBeUndefined();
    const shipped = await graphql<{ transitionStage: Result }>(server.base, tokens.alice, TRANSITION, {
      stage: 'Production',
      p: { model: 'credit', version: 1, reason: 'ship', approvalId },
    });
    expect(shipped.errors).toBeUndefined();
    expect(shipped.data?.transitionStage.model.approvals).toEqual([
      expect.objectContaining({ approvalId, status: 'used', requestedBy: 'alice', decidedBy: 'bob' }),
    ]);
    await waitForProjection(server.base, 60_000, auth(BOOTSTRAP));
    const history = await graphql<{ registeredModel: { promotions: { approval: unknown }[] } }>(
      server.base,
      tokens.viewer,
      '{ registeredModel(name: "credit") { promotions { approval { approvalId requestedBy approvedBy comment } } } }',
    );
    expect(history.data?.registeredModel.promotions).toEqual([
      { approval: { approvalId, requestedBy: 'alice', approvedBy: 'bob', comment: 'holdout checked' } },
    ]);
  });

  it('refuses an approval by the user who asked for it, whatever roles it holds, and a rename of a governed model by a writer', async () => {
    const carol = await post<{ token: string }>(
      server.base,
      '/api/v1/tokens',
      { principal: 'carol', roles: ['writer', 'approver'], workspace: 'default' },
      auth(BOOTSTRAP),
    );
    const token = carol.body.token;
    await createModel('ledger');
    await registerVersions('ledger', 1);
    expect(
      (
        await graphql(
          server.base,
          BOOTSTRAP,
          'mutation { setModelApprovalPolicy(name: "ledger", stages: [Production], aliases: []) { appended } }',
        )
      ).errors,
    ).toBeUndefined();
    const asked = await graphql<{ requestApproval: Result }>(
      server.base,
      token,
      'mutation { requestApproval(model: "ledger", version: 1, stage: Production, reason: "mine") { approvalId } }',
    );
    const approvalId = asked.data!.requestApproval.approvalId!;
    const own = await graphql(
      server.base,
      token,
      'mutation($id: ID!) { approve(model: "ledger", approvalId: $id, comment: "lgtm") { appended } }',
      {
        id: approvalId,
      },
    );
    expect(own.errors?.[0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'forbidden',
      field: 'approvalId',
    });
    expect(own.errors?.[0].message).toContain('another user must decide it');
    // A writer may not free a governed model's name (and register an unapproved model under it); an admin may.
    const renamed = await graphql(
      server.base,
      tokens.alice,
      'mutation { renameRegisteredModel(name: "ledger", newName: "ledger-old") { appended } }',
    );
    expect(renamed.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'authorization' });
    const byAdmin = await graphql(
      server.base,
      BOOTSTRAP,
      'mutation { renameRegisteredModel(name: "ledger", newName: "ledger-old") { appended } }',
    );
    expect(byAdmin.errors).toBeUndefined();
  });

  it('answers modelAsOf from the log, and the projection equals the fold of the model stream', async () => {
    await createModel('ranker');
    await registerVersions('ranker', 2);
    const instants: number[] = [];
    const steps: [number, number | undefined][] = [
      [1, undefined],
      [2, 1],
    ];
    for (const [version, replaces] of steps) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const moved = await graphql(server.base, tokens.alice, TRANSITION, {
        stage: 'Staging',
        p: { model: 'ranker', version, reason: 'try', ...(replaces === undefined ? {} : { replaces }) },
      });
      expect(moved.errors).toBeUndefined();
      instants.push(Date.now());
    }
    await graphql(
      server.base,
      tokens.alice,
      'mutation { renameRegisteredModel(name: "ranker", newName: "ranker-2") { appended } }',
    );
    await waitForProjection(server.base, 60_000, auth(BOOTSTRAP));
    const asOf = async (name: string, at: number) =>
      (
        await graphql<{ modelAsOf: { model: ModelView; chainIntact: boolean } | null }>(
          server.base,
          tokens.viewer,
          'query($n: String!, $at: Float!) { modelAsOf(name: $n, asOf: $at) { chainIntact model { name versions { version stage } } } }',
          { n: name, at },
        )
      ).data?.modelAsOf;
    expect((await asOf('ranker', instants[0]))?.model.versions).toEqual([
      { version: 1, stage: 'Staging' },
      { version: 2, stage: 'None' },
    ]);
    expect((await asOf('ranker', instants[1]))?.model.versions).toEqual([
      { version: 1, stage: 'Archived' },
      { version: 2, stage: 'Staging' },
    ]);
    expect((await asOf('ranker', instants[1]))?.chainIntact).toBe(true);
    expect(await asOf('ranker', Date.now())).toBeNull();
    expect((await asOf('ranker-2', Date.now()))?.model.name).toBe('ranker-2');
    expect(await asOf('ranker', 0)).toBeNull();

    const projected = await graphql<{ registeredModel: ModelView }>(
      server.base,
      tokens.viewer,
      `{ registeredModel(name: "ranker-2") { ${MODEL_FIELDS} } }`,
    );
    const trail = await graphql<{
      auditTrail: { events: (Omit<EventEnvelope, 'payload'> & { payload: string })[] };
    }>(
      server.base,
      tokens.viewer,
      'query($s: String!) { auditTrail(stream: $s) { events { id type v stream workspace actor occurredAt recordedAt payload prevHash hash } } }',
      { s: `model:${projected.data!.registeredModel.modelId}` },
    );
    const folded = foldModel(
      trail.data!.auditTrail.events.map((event) => ({
        ...event,
        payload: JSON.parse(event.payload) as unknown,
      })),
    );
    expect(folded).toMatchObject({ name: 'ranker-2', status: 'active' });
    if (folded.status === 'absent') throw new Error('unreachable');
    expect(projected.data!.registeredModel.versions.map((v) => [v.version, v.stage])).toEqual(
      Object.values(folded.versions).map((v) => [v.version, v.stage]),
    );
  });
});
