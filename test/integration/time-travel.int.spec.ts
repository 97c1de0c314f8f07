import { recomputeEventHash } from '../../libs/audit-verifier/src';
import { gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

interface Recorded {
  id: string;
  type: string;
  v: number;
  stream: string;
  workspace: string;
  actor: string;
  onBehalfOf: string | null;
  occurredAt: string;
  recordedAt: string;
  payload: string;
  prevHash: string | null;
  hash: string;
  requestDigest: string | null;
}

const RECORDED =
  'id type v stream workspace actor onBehalfOf occurredAt recordedAt payload prevHash hash requestDigest';
const TRAIL = `query($s: String!, $from: Float, $to: Float, $limit: Int) {
  auditTrail(stream: $s, from: $from, to: $to, limit: $limit) { stream truncated chainIntact events { ${RECORDED} } }
}`;
const AS_OF = `query($id: ID!, $at: Float!) {
  runAsOf(runId: $id, asOf: $at) { runId status name deleted note eventsFolded chainIntact
    tags { key value } params { key value } lastEvent { hash type } }
}`;

/** The envelope as the log holds it, rebuilt from the GraphQL answer: absent optional fields left out. */
function envelopeOf(event: Recorded): Record<string, unknown> {
  const { onBehalfOf, requestDigest, payload, ...rest } = event;
  return {
    ...rest,
    payload: JSON.parse(payload) as unknown,
    ...(onBehalfOf === null ? {} : { onBehalfOf }),
    ...(requestDigest === null ? {} : { requestDigest }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('time travel: audit trails and runs as of an instant, read from the log as recorded', () => {
  const server = useRunlog();
  const RUN = 'travelled-run';
  let trail: Recorded[] = [];

  beforeAll(async () => {
    const { base } = server;
    expect((await post(base, '/api/v1/experiments', { experimentId: 'travel', name: 'travel' })).status).toBe(
      201,
    );
    expect(
      (await post(base, '/api/v1/runs', { experimentId: 'travel', runId: RUN, name: 'v1' })).status,
    ).toBe(201);
    // A few ms apart, so every event has an instant of its own to travel to.
    for (const step of [
      () => post(base, `/api/v1/runs/${RUN}/params`, { params: { lr: 0.1 } }),
      () => post(base, `/api/v1/runs/${RUN}/tags`, { tags: { stage: 'baseline' } }),
      () => post(base, `/api/v1/runs/${RUN}/rename`, { name: 'v2' }),
      () => post(base, `/api/v1/runs/${RUN}/tags`, { tags: { stage: 'tuned' } }),
      () => post(base, `/api/v1/runs/${RUN}/finish`, {}),
    ]) {
      await sleep(5);
      expect((await step()).status).toBe(200);
    }
    await waitForProjection(base);
    const answer = await gql<{ auditTrail: { events: Recorded[]; chainIntact: boolean } }>(base, TRAIL, {
      s: `run:${RUN}`,
    });
    trail = answer.auditTrail.events;
  });

  it("returns the run's whole stream as recorded: every hash recomputes from the fields answered", async () => {
    expect(trail.map((event) => event.type)).toEqual([
      'run.created',
      'run.params_logged',
      'run.tags_set',
      'run.renamed',
      'run.tags_set',
      'run.finished',
    ]);
    for (const [i, event] of trail.entries()) {
      expect(recomputeEventHash(envelopeOf(event))).toBe(event.hash);
      expect(event.prevHash).toBe(i === 0 ? null : trail[i - 1].hash);
      expect(event.actor).toMatch(/^local:/);
    }
  });

  it('answers a window of the trail, bounded by from, to and limit', async () => {
    const at = (i: number) => Date.parse(trail[i].recordedAt);
    const window = await gql<{
      auditTrail: { events: Recorded[]; truncated: boolean; chainIntact: boolean };
    }>(server.base, TRAIL, { s: `run:${RUN}`, from: at(1), to: at(3) });
    const expected = trail.filter(
      (e) => Date.parse(e.recordedAt) >= at(1) && Date.parse(e.recordedAt) <= at(3),
    );
    expect(window.auditTrail.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(window.auditTrail.chainIntact).toBe(true);
    const limited = await gql<{ auditTrail: { events: Recorded[]; truncated: boolean } }>(
      server.base,
      TRAIL,
      {
        s: `run:${RUN}`,
        limit: 2,
      },
    );
    expect(limited.auditTrail.events.map((e) => e.id)).toEqual(trail.slice(0, 2).map((e) => e.id));
    expect(limited.auditTrail.truncated).toBe(true);
    const none = await gql<{ auditTrail: { events: Recorded[] } }>(server.base, TRAIL, {
      s: 'run:never-made',
    });
    expect(none.auditTrail.events).toEqual([]);
  });

  it('folds the run as it was at each instant of its history, not its latest snapshot', async () => {
    const before = Date.parse(trail[0].recordedAt) - 1;
    const none = await gql<{ runAsOf: null }>(server.base, AS_OF, { id: RUN, at: before });
    expect(none.runAsOf).toBeNull();
    for (const event of trail) {
      const at = Date.parse(event.recordedAt);
      const folded = trail.filter((e) => Date.parse(e.recordedAt) <= at);
      const { runAsOf } = await gql<{
        runAsOf: {
          status: string;
          name: string;
          eventsFolded: number;
          chainIntact: boolean;
          tags: { key: string; value: string }[];
          params: { key: string; value: string }[];
          lastEvent: { hash: string };
        };
      }>(server.base, AS_OF, { id: RUN, at });
      expect(runAsOf.eventsFolded).toBe(folded.length);
      expect(runAsOf.lastEvent.hash).toBe(folded[folded.length - 1].hash);
      expect(runAsOf.chainIntact).toBe(true);
      const seen = (type: string) => folded.some((e) => e.type === type);
      expect(runAsOf.status).toBe(seen('run.finished') ? 'finished' : 'running');
      expect(runAsOf.name).toBe(seen('run.renamed') ? 'v2' : 'v1');
      const stages = folded.filter((e) => e.type === 'run.tags_set');
      expect(runAsOf.tags).toEqual(
        stages.length === 0 ? [] : [{ key: 'stage', value: stages.length === 1 ? 'baseline' : 'tuned' }],
      );
      expect(runAsOf.params).toEqual(seen('run.params_logged') ? [{ key: 'lr', value: '0.1' }] : []);
    }
  });

  it.each([
    [{ from: 5, to: 4 }, 'from must not be after to'],
    [{ from: -1 }, 'from must be epoch milliseconds'],
    [{ to: 1.5 }, 'to must be epoch milliseconds'],
  ])('refuses the window %j naming the field', async (bounds, message) => {
    const response = await fetch(`${server.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: TRAIL, variables: { s: `run:${RUN}`, ...bounds } }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].message).toContain(message);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
