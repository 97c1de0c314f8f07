import { randomBytes } from 'node:crypto';
import { graphqlAnswer, logEnd as logEndAt, post, send, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

const BOOTSTRAP = randomBytes(32).toString('base64url');
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

interface VersionView {
  version: number;
  description: string;
  tags: { key: string; value: string }[];
  aliases: string[];
}
interface ModelView {
  versions: VersionView[];
  aliases: { alias: string; version: number }[];
  promotions: { kind: string; version: number; alias: string | null; reason: string }[];
}

const logEnd = (base: string) => logEndAt(base, auth(BOOTSTRAP));

describe("a model version's own record: tags, description, deletion", () => {
  const server = useRunlog({ RUNLOG_AUTH: 'tokens', RUNLOG_BOOTSTRAP_TOKEN: BOOTSTRAP });
  const RUN = 'versions-run';
  let writer = '';

  const model = (name: string, action = '') => `/api/v1/models/${encodeURIComponent(name)}${action}`;

  beforeAll(async () => {
    const issued = await post<{ token: string }>(
      server.base,
      '/api/v1/tokens',
      { principal: 'wendy', roles: ['writer'], workspace: 'default' },
      auth(BOOTSTRAP),
    );
    writer = issued.body.token;
    const as = auth(writer);
    expect(
      (await post(server.base, '/api/v1/experiments', { experimentId: 'versions', name: 'v' }, as)).status,
    ).toBe(201);
    expect(
      (await post(server.base, '/api/v1/runs', { experimentId: 'versions', runId: RUN }, as)).status,
    ).toBe(201);
    const uploaded = await fetch(`${server.base}/api/v1/runs/${RUN}/artifacts/model/MLmodel`, {
      method: 'PUT',
      headers: as,
      body: 'flavors: {}',
    });
    expect(uploaded.status).toBe(201);
  });

  async function modelWithVersions(name: string, count: number): Promise<void> {
    expect((await post(server.base, '/api/v1/models', { name }, auth(writer))).status).toBe(201);
    for (let v = 0; v < count; v++) {
      const registered = await post(
        server.base,
        model(name, '/versions'),
        { runId: RUN, artifactPath: 'model/MLmodel' },
        auth(writer),
      );
      expect(registered.status).toBe(201);
    }
  }

  async function read(name: string): Promise<ModelView> {
    await waitForProjection(server.base, 60_000, auth(BOOTSTRAP));
    const answer = await graphqlAnswer<{ registeredModel: ModelView }>(
      server.base,
      `query($n: String!) { registeredModel(name: $n) {
        versions { version description tags { key value } aliases }
        aliases { alias version }
        promotions { kind version alias reason }
      } }`,
      { n: name },
      auth(BOOTSTRAP),
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.registeredModel;
  }

  it('tags and describes a version through the ingest API; setting what is so appends nothing', async () => {
    const name = `tagged-${randomBytes(3).toString('hex')}`;
    await modelWithVersions(name, 2);
    const as = auth(writer);
    const set = await post(
      server.base,
      model(name, '/versions/2/tags'),
      { tags: { validated: 'yes', a: '1' } },
      as,
    );
    expect(set).toMatchObject({ status: 200, body: { appended: true } });
    expect(
      (await post(server.base, model(name, '/versions/2/tags/delete'), { keys: ['a', 'never'] }, as)).status,
    ).toBe(200);
    expect(
      (await post(server.base, model(name, '/versions/2/description'), { description: 'the better one' }, as))
        .status,
    ).toBe(200);

    const before = await logEnd(server.base);
    const again = await post(
      server.base,
      model(name, '/versions/2/tags'),
      { tags: { validated: 'yes' } },
      as,
    );
    expect(again).toMatchObject({ status: 200, body: { appended: false } });
    expect(await logEnd(server.base)).toBe(before);

    const view = await read(name);
    expect(view.versions).toEqual([
      { version: 1, description: '', tags: [], aliases: [] },
      { version: 2, description: 'the better one', tags: [{ key: 'validated', value: 'yes' }], aliases: [] },
    ]);
  });

  it('refuses a tag on a version the model has not, naming the field, and appends nothing', async () => {
    const name = `missing-${randomBytes(3).toString('hex')}`;
    await modelWithVersions(name, 1);
    const before = await logEnd(server.base);
    const answer = await post(
      server.base,
      model(name, '/versions/7/tags'),
      { tags: { a: 'b' } },
      auth(writer),
    );
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ field: 'version' });
    const badKey = await post(
      server.base,
      model(name, '/versions/1/tags'),
      { tags: { '': 'b' } },
      auth(writer),
    );
    expect(badKey.status).toBe(400);
    expect(JSON.stringify(badKey.body)).toContain('tags');
    expect(await logEnd(server.base)).toBe(before);
  });

  it('deletes a version (admin only): its aliases go with it, recorded as promotions; its number is not given again', async () => {
    const name = `deleted-${randomBytes(3).toString('hex')}`;
    await modelWithVersions(name, 2);
    const aliased = await post(
      server.base,
      model(name, '/aliases'),
      { alias: 'champion', version: 2, reason: 'best so far' },
      auth(writer),
    );
    expect(aliased.status).toBe(200);

    const before = await logEnd(server.base);
    const byWriter = await send(
      'DELETE',
      server.base,
      model(name, '/versions/2'),
      { reason: 'leak' },
      auth(writer),
    );
    expect(byWriter.status).toBe(403);
    expect(await logEnd(server.base)).toBe(before);

    const byAdmin = await send(
      'DELETE',
      server.base,
      model(name, '/versions/2'),
      { reason: 'leak' },
      auth(BOOTSTRAP),
    );
    expect(byAdmin.status).toBe(200);
    const again = await send(
      'DELETE',
      server.base,
      model(name, '/versions/2'),
      { reason: 'leak' },
      auth(BOOTSTRAP),
    );
    expect(again.status).toBe(404);
    expect(JSON.stringify(again.body)).toMatch(/it was deleted/);

    const next = await post(
      server.base,
      model(name, '/versions'),
      { runId: RUN, artifactPath: 'model/MLmodel' },
      auth(writer),
    );
    expect(next.status).toBe(201);

    const view = await read(name);
    expect(view.versions.map((v) => v.version)).toEqual([1, 3]);
    expect(view.aliases).toEqual([]);
    expect(view.promotions.filter((p) => p.kind === 'alias_deleted')).toEqual([
      { kind: 'alias_deleted', version: 2, alias: 'champion', reason: 'version 2 deleted: leak' },
    ]);

    // What a run reached in the registry no longer lists the deleted version.
    const lineage = await graphqlAnswer<{ modelLineage: { runId: string } | null }>(
      server.base,
      'query($n: String!) { modelLineage(model: $n, version: 2) { runId } }',
      { n: name },
      auth(BOOTSTRAP),
    );
    expect(lineage.data?.modelLineage ?? null).toBeNull();
  });
});
