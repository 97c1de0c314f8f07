import { RunlogClient, type Run } from '../../libs/sdk/src/runlog';
import { createExperimentAndRun, gql, logEnd, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * Load shedding of metric batches (services/ingest/src/admission): past its limits a server answers a batch 503
 * with Retry-After before reading it, appends nothing for it, keeps taking lifecycle writes, and the SDK's retries
 * (same eventId) still land every point exactly once.
 */
interface IngestStats {
  inFlight: number;
  refusedBusy: number;
  refusedBehind: number;
  projectionLag: number | null;
}

async function ingestStats(base: string): Promise<IngestStats> {
  const health = (await (await fetch(`${base}/healthz`)).json()) as { ingest: IngestStats };
  return health.ingest;
}

const batch = (from: number) => ({
  metrics: [{ key: 'train/loss', steps: [from, from + 1], values: [0.5, 0.25] }],
});

describe('load shedding of metric batches', () => {
  describe('while nothing projects the log', () => {
    const runlog = useRunlog({ RUNLOG_ROLES: 'ingest,gateway', RUNLOG_INGEST_MAX_PROJECTION_LAG: '3' });

    it('sheds batches with 503 projection_behind and Retry-After, appends nothing for them, and takes lifecycle writes', async () => {
      const { runId } = await createExperimentAndRun(runlog.base, 'shed-behind');
      let shed: Response | null = null;
      for (let b = 0; b < 40 && shed === null; b++) {
        const before = await logEnd(runlog.base);
        const response = await fetch(`${runlog.base}/api/v1/runs/${runId}/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch(b * 2)),
        });
        if (response.status === 503) {
          shed = response;
          expect(await logEnd(runlog.base)).toBe(before);
        } else {
          expect(response.status).toBe(200);
          await response.arrayBuffer();
          // The lag is read every 100 ms.
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
      }
      expect(shed).not.toBeNull();
      expect(shed!.headers.get('retry-after')).toBe('1');
      expect(await shed!.json()).toMatchObject({ error: 'projection_behind' });
      const stats = await ingestStats(runlog.base);
      expect(stats.refusedBehind).toBeGreaterThanOrEqual(1);
      expect(stats.projectionLag).toBeGreaterThan(3);
      const metrics = await (await fetch(`${runlog.base}/metrics`)).text();
      expect(metrics).toMatch(/runlog_ingest_shed_batches_total\{reason="behind"\} [1-9]/);

      // What is not a metric batch is never shed: a run's params and its ending still land.
      expect(
        (await post(runlog.base, `/api/v1/runs/${runId}/params`, { params: { lr: '0.1' } })).status,
      ).toBe(200);
      expect((await post(runlog.base, `/api/v1/runs/${runId}/finish`, {})).status).toBe(200);
    });
  });

  describe('with every role, tight limits and four SDK clients at once', () => {
    const runlog = useRunlog({
      RUNLOG_INGEST_MAX_PROJECTION_LAG: '2',
      RUNLOG_INGEST_MAX_CONCURRENT_BATCHES: '1',
    });
    const RUNS = 4;
    const STEPS = 3_000;
    const KEYS = ['loss', 'acc', 'lr'];

    it('lands every point exactly once, though batches were shed on the way', async () => {
      const clients = Array.from(
        { length: RUNS },
        () =>
          new RunlogClient({
            baseUrl: runlog.base,
            flushEveryPoints: 1_500,
            retryBaseDelayMs: 10,
            retryMaxDelayMs: 200,
            flushOnExit: false,
          }),
      );
      const runIds = await Promise.all(
        clients.map((client, r) =>
          client.withRun({ experimentName: `shed-sdk-${r}`, captureContext: false }, async (run: Run) => {
            for (let step = 0; step < STEPS; step++) {
              await run.log(Object.fromEntries(KEYS.map((key, k) => [key, step * (k + 1)])), step);
            }
            return run.runId;
          }),
        ),
      );
      await Promise.all(clients.map((client) => client.close()));
      await waitForProjection(runlog.base);

      const stats = await ingestStats(runlog.base);
      expect(stats.refusedBusy + stats.refusedBehind).toBeGreaterThan(0);
      expect(stats.inFlight).toBe(0);
      for (const runId of runIds) {
        const { run } = await gql<{
          run: { status: string; metrics: { key: string; count: number; lastStep: number }[] };
        }>(runlog.base, `query ($id: ID!) { run(id: $id) { status metrics { key count lastStep } } }`, {
          id: runId,
        });
        expect(run.status).toBe('finished');
        expect(
          run.metrics
            .map(({ key, count, lastStep }) => ({ key, count, lastStep }))
            .sort((a, b) => a.key.localeCompare(b.key)),
        ).toEqual([...KEYS].sort().map((key) => ({ key, count: STEPS, lastStep: STEPS - 1 })));
      }
    });
  });
});
