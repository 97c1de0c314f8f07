import { RunlogClient } from '../../libs/sdk/src/runlog';
import { createExperimentAndRun, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * Read-your-writes through the real surfaces: an ingest answer carries a consistency token; a GraphQL request that
 * sends it back in x-runlog-consistency-token is held until the projection has passed those writes.
 */
const COUNT = `query ($id: ID!) { run(id: $id) { metrics { key count } } }`;

async function graphqlWithToken(base: string, token: string, variables: object, timeoutMs?: number) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-runlog-consistency-token': token,
      ...(timeoutMs === undefined ? {} : { 'x-runlog-consistency-timeout-ms': String(timeoutMs) }),
    },
    body: JSON.stringify({ query: COUNT, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      data?: { run: { metrics: { key: string; count: number }[] } };
      errors?: { message: string; extensions: Record<string, string> }[];
    },
  };
}

describe('consistency tokens', () => {
  describe('with every role', () => {
    const runlog = useRunlog();

    it('a read sent with the token of a write sees that write, every time', async () => {
      const { runId } = await createExperimentAndRun(runlog.base, 'read-your-writes');
      // The run's row comes from its creation, a write whose token this test does not keep: a token covers the
      // writes of its own answer (on Kafka, the lifecycle and metrics topics are projected independently).
      await waitForProjection(runlog.base);
      for (let batch = 1; batch <= 20; batch++) {
        const steps = Array.from({ length: 500 }, (_, i) => (batch - 1) * 500 + i);
        const response = await fetch(`${runlog.base}/api/v1/runs/${runId}/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metrics: [{ key: 'loss', steps, values: steps.map((s) => 1 / (1 + s)) }] }),
        });
        const body = (await response.json()) as { consistencyToken: string };
        expect(response.status).toBe(200);
        expect(response.headers.get('x-runlog-consistency-token')).toBe(body.consistencyToken);
        const read = await graphqlWithToken(runlog.base, body.consistencyToken, { id: runId });
        expect(read.status).toBe(200);
        expect(read.body.data!.run.metrics).toEqual([{ key: 'loss', count: batch * 500 }]);
      }
    });

    it('lifecycle answers carry one too, and it covers what they wrote', async () => {
      const { runId } = await createExperimentAndRun(runlog.base, 'lifecycle-token');
      const params = await post<{ consistencyToken: string }>(runlog.base, `/api/v1/runs/${runId}/params`, {
        params: { lr: '0.1' },
      });
      expect(params.body.consistencyToken).toEqual(expect.any(String));
      const response = await fetch(`${runlog.base}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-runlog-consistency-token': params.body.consistencyToken,
        },
        body: JSON.stringify({ query: `{ run(id: "${runId}") { params { key value } } }` }),
      });
      const { data } = (await response.json()) as { data: { run: { params: unknown[] } } };
      expect(data.run.params).toEqual([{ key: 'lr', value: '0.1' }]);
    });

    it("through the SDK: a run's token covers its params and its points, written to two topics", async () => {
      const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false });
      try {
        for (let trial = 0; trial < 5; trial++) {
          const run = await client.startRun({
            experimentName: 'sdk-token',
            params: { trial },
            captureContext: false,
          });
          for (let step = 0; step < 300; step++) await run.log({ loss: 1 / (1 + step) }, step);
          const consistencyToken = await run.consistencyToken();
          const { run: read } = await client.graphql<{
            run: { params: { key: string; value: string }[]; metrics: { key: string; count: number }[] };
          }>(
            'query ($id: ID!) { run(id: $id) { params { key value } metrics { key count } } }',
            { id: run.runId },
            { consistencyToken },
          );
          expect(read).toEqual({
            params: [{ key: 'trial', value: String(trial) }],
            metrics: [{ key: 'loss', count: 300 }],
          });
          await run.finish();
        }
      } finally {
        await client.close();
      }
    });

    it('waits for every token of a header that holds several', async () => {
      const { runId } = await createExperimentAndRun(runlog.base, 'two-tokens');
      const params = await post<{ consistencyToken: string }>(runlog.base, `/api/v1/runs/${runId}/params`, {
        params: { lr: '0.2' },
      });
      const steps = Array.from({ length: 200 }, (_, i) => i);
      const metrics = await post<{ consistencyToken: string }>(runlog.base, `/api/v1/runs/${runId}/metrics`, {
        metrics: [{ key: 'loss', steps, values: steps.map((s) => 1 / (1 + s)) }],
      });
      const response = await fetch(`${runlog.base}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-runlog-consistency-token': `${params.body.consistencyToken}, ${metrics.body.consistencyToken}`,
        },
        body: JSON.stringify({
          query: `{ run(id: "${runId}") { params { key value } metrics { key count } } }`,
        }),
      });
      const { data } = (await response.json()) as { data: { run: unknown } };
      expect(data.run).toEqual({
        params: [{ key: 'lr', value: '0.2' }],
        metrics: [{ key: 'loss', count: 200 }],
      });
    });

    it.each([
      ['x-runlog-consistency-token', { 'x-runlog-consistency-token': 'bm90IGEgdG9rZW4' }],
      ['x-runlog-consistency-token', { 'x-runlog-consistency-token': Array(17).fill('W10').join(',') }],
      // Well formed, but naming a topic no write lands in: a reader must not go and look (on Kafka: create) it.
      [
        'x-runlog-consistency-token',
        { 'x-runlog-consistency-token': Buffer.from('[["evil",0,0]]').toString('base64url') },
      ],
      [
        'x-runlog-consistency-timeout-ms',
        { 'x-runlog-consistency-token': 'W10', 'x-runlog-consistency-timeout-ms': 'soon' },
      ],
    ])('refuses a bad %s with 400 naming it', async (field, headers) => {
      const response = await fetch(`${runlog.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ projectionLag { lag } }' }),
      });
      expect(response.status).toBe(400);
      const { errors } = (await response.json()) as { errors: { extensions: Record<string, string> }[] };
      expect(errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    });
  });

  describe('while nothing projects', () => {
    const runlog = useRunlog({ RUNLOG_ROLES: 'ingest,gateway' });

    it('answers 504 CONSISTENCY_TIMEOUT after the bound the request gave', async () => {
      const { runId } = await createExperimentAndRun(runlog.base, 'no-projector');
      const written = await post<{ consistencyToken: string }>(runlog.base, `/api/v1/runs/${runId}/metrics`, {
        metrics: [{ key: 'loss', steps: [1], values: [0.5] }],
      });
      const started = Date.now();
      const read = await graphqlWithToken(runlog.base, written.body.consistencyToken, { id: runId }, 300);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(read.status).toBe(504);
      expect(read.body.errors?.[0].extensions.code).toBe('CONSISTENCY_TIMEOUT');
    });
  });
});
