import { randomBytes } from 'node:crypto';
import { foldModel } from '../../libs/domain/src/folds';
import type { EventEnvelope } from '../../libs/events/src/envelope';
import { graphqlAnswer, post, waitForProjection } from '../support/runlog-client';
import { useSharedEngines } from '../support/shared-engines';

const VERSIONS = 50;

const graphql = <T>(base: string, query: string, variables: Record<string, unknown> = {}) =>
  graphqlAnswer<T>(base, query, variables);

/**
 * Linearizable promotions on the Kafka path: two ingest processes (each forwards a registry command to the one that
 * owns the workspace's registry) and a gateway whose mutations go to the ingest API. Fifty promotions of fifty
 * versions to Production, all expecting it free, fired at once through all three doors: exactly one wins, each
 * other one is told which version holds it, and the projection equals the fold of the log.
 */
describe('concurrent promotions on Kafka with two ingest processes', () => {
  const engines = useSharedEngines('reg');
  const id = engines.id;

  it('lets exactly one of 50 conflicting promotions win, and the projection equals the fold of the log', async () => {
    const { ingest, peers } = await engines.startIngestPeers();
    const gateway = await engines.start({ RUNLOG_ROLES: 'projector,gateway', RUNLOG_INGEST_URL: peers[0] });

    const experiment = await post<{ experimentId: string }>(ingest[0].base, '/api/v1/experiments', {
      name: id,
    });
    const run = await post<{ runId: string }>(ingest[1].base, '/api/v1/runs', {
      experimentId: experiment.body.experimentId,
    });
    expect(run.status).toBe(201);
    const upload = await fetch(`${ingest[0].base}/api/v1/runs/${run.body.runId}/artifacts/model.bin`, {
      method: 'PUT',
      body: randomBytes(1024),
    });
    expect(upload.status).toBe(201);

    // Ten creates of one name at once, through both processes: one model.
    const creates = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(ingest[i % 2].base, '/api/v1/models', { name: 'fraud' })),
    );
    expect(creates.map((answer) => answer.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(creates.filter((answer) => answer.status === 409).map((answer) => answer.body.error)).toEqual(
      Array(9).fill('name_taken'),
    );
    for (let v = 1; v <= VERSIONS; v++) {
      const registered = await post(ingest[v % 2].base, '/api/v1/models/fraud/versions', {
        runId: run.body.runId,
        artifactPath: 'model.bin',
      });
      expect(registered.status).toBe(201);
    }

    const promote = async (version: number): Promise<{ ok: boolean; reason?: string; message?: string }> => {
      const door = version % 3;
      if (door === 2) {
        const answer = await graphql<{ transitionStage: { appended: boolean } }>(
          gateway.base,
          'mutation($v: Int!) { transitionStage(stage: Production, promotion: { model: "fraud", version: $v, reason: "race" }) { appended } }',
          { v: version },
        );
        const error = answer.errors?.[0];
        return error ? { ok: false, reason: error.extensions?.reason, message: error.message } : { ok: true };
      }
      const answer = await post<{ error?: string; message?: string }>(
        ingest[door].base,
        `/api/v1/models/fraud/versions/${version}/stage`,
        { stage: 'Production', reason: 'race' },
      );
      return answer.status === 200
        ? { ok: true }
        : { ok: false, reason: answer.body.error, message: answer.body.message };
    };
    const outcomes = await Promise.all(Array.from({ length: VERSIONS }, (_, i) => promote(i + 1)));
    const winners = outcomes.flatMap((outcome, i) => (outcome.ok ? [i + 1] : []));
    expect(winners).toHaveLength(1);
    const [winner] = winners;
    for (const outcome of outcomes.filter((o) => !o.ok)) {
      expect(outcome.reason).toBe('promotion_conflict');
      expect(outcome.message).toContain(`is held by version ${winner}`);
    }

    await waitForProjection(gateway.base);
    const projected = await graphql<{
      registeredModel: { modelId: string; versions: { version: number; stage: string }[] };
    }>(gateway.base, '{ registeredModel(name: "fraud") { modelId versions { version stage } } }');
    const model = projected.data!.registeredModel;
    expect(model.versions.filter((v) => v.stage === 'Production')).toEqual([
      { version: winner, stage: 'Production' },
    ]);

    const trail = await graphql<{
      auditTrail: { chainIntact: boolean; events: (Omit<EventEnvelope, 'payload'> & { payload: string })[] };
    }>(
      gateway.base,
      'query($s: String!) { auditTrail(stream: $s) { chainIntact events { id type v stream workspace actor occurredAt recordedAt payload prevHash hash } } }',
      { s: `model:${model.modelId}` },
    );
    expect(trail.data!.auditTrail.chainIntact).toBe(true);
    const events = trail.data!.auditTrail.events;
    // Created, fifty versions, one promotion: nothing of the 49 refused ones reached the log.
    expect(events.map((event) => event.type)).toEqual([
      'model.created',
      ...Array(VERSIONS).fill('model.version_registered'),
      'model.stage_transitioned',
    ]);
    const folded = foldModel(
      events.map((event) => ({ ...event, payload: JSON.parse(event.payload) as unknown })),
    );
    if (folded.status === 'absent') throw new Error('the model stream folds to nothing');
    expect(model.versions).toEqual(
      Object.values(folded.versions).map(({ version, stage }) => ({ version, stage })),
    );
  });
});
