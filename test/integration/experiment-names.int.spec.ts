import { RunlogClient } from '../../libs/sdk/src/runlog';
import { gql, logEnd, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

type Created = { experimentId: string; created?: boolean; error?: string; field?: string };

/** Experiment names are unique per workspace, claimed through the log; the SDK gets or creates by name. */
describe('experiment names', () => {
  const server = useRunlog();
  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post<Created>(server.base, '/api/v1/experiments', body, headers);

  it('refuses a second experiment of one name with 409 name_taken, appending nothing', async () => {
    const first = await create({ name: 'mnist' });
    expect(first).toMatchObject({ status: 201, body: { created: true } });
    const before = await logEnd(server.base);
    const second = await create({ name: 'mnist' });
    expect(second).toMatchObject({ status: 409, body: { error: 'name_taken', field: 'name' } });
    expect(await logEnd(server.base)).toBe(before);
    // Another workspace has names of its own.
    expect((await create({ name: 'mnist' }, { 'x-runlog-workspace': 'team-b' })).status).toBe(201);
  });

  it('refuses an experimentId that is taken before claiming the name, which stays free', async () => {
    const taken = (await create({ name: 'first-holder' })).body.experimentId;
    const before = await logEnd(server.base);
    expect(await create({ name: 'never-claimed', experimentId: taken })).toMatchObject({
      status: 409,
      body: { error: 'illegal_transition', field: 'experimentId' },
    });
    expect(await logEnd(server.base)).toBe(before);
    expect((await create({ name: 'never-claimed' })).status).toBe(201);
  });

  it('answers the existing experiment to getOrCreate, also when many ask at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => create({ name: 'cifar', getOrCreate: true })),
    );
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((answer) => answer.body.experimentId)).size).toBe(1);
    expect(answers.filter((answer) => answer.body.created).length).toBe(1);
  });

  it('moves the claim on rename: the new name is taken, the old one is free again', async () => {
    const a = (await create({ name: 'resnet-a' })).body.experimentId;
    const b = (await create({ name: 'resnet-b' })).body.experimentId;
    const clash = await post(server.base, `/api/v1/experiments/${b}/rename`, { name: 'resnet-a' });
    expect(clash).toMatchObject({ status: 409, body: { error: 'name_taken', field: 'name' } });
    expect((await post(server.base, `/api/v1/experiments/${a}/rename`, { name: 'resnet-c' })).status).toBe(
      200,
    );
    expect((await post(server.base, `/api/v1/experiments/${b}/rename`, { name: 'resnet-a' })).status).toBe(
      200,
    );
    expect((await create({ name: 'resnet-b' })).status).toBe(201);
    expect((await create({ name: 'resnet-c' })).status).toBe(409);
  });

  it("makes the SDK's startRun({ experimentName }) get the experiment of that name, or create it once", async () => {
    const client = new RunlogClient({ baseUrl: server.base, flushOnExit: false });
    try {
      const runs = [
        await client.startRun({ experimentName: 'sdk-named', captureContext: false }),
        await client.startRun({ experimentName: 'sdk-named', captureContext: false }),
      ];
      for (const run of runs) await run.finish();
      await waitForProjection(server.base);
      const experiments = await Promise.all(
        runs.map(async (run) => {
          const data = await gql<{ run: { experimentId: string } }>(
            server.base,
            'query($id: ID!) { run(id: $id) { experimentId } }',
            { id: run.runId },
          );
          return data.run.experimentId;
        }),
      );
      expect(experiments[0]).toBe(experiments[1]);
    } finally {
      await client.close();
    }
  });
});
