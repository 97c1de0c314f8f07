import { createHash, randomBytes } from 'node:crypto';
import { countingSummary, runSummary } from '../support/counting-batches';
import { batchEventId, sendBatchesWithRetry, type RetryLog } from '../support/retrying-client';
import { countingBatch } from '../support/counting-batches';
import { gql, post, waitForProjection } from '../support/runlog-client';
import { useSharedEngines } from '../support/shared-engines';
import { ownerOf } from '../../services/ingest/src/ingest-router';

const RUNS = 4;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const BATCHES_PER_RUN = 12;
const POINTS_PER_BATCH = 2_000;

/**
 * Two ingest processes and two projector processes at once, on the shared Kafka broker (runlog.metrics has four
 * partitions) and one ClickHouse over HTTP: whichever ingest process a client reaches, each run has one writer,
 * retries landing on the other process are deduplicated, and the projectors split the partitions between them.
 */
describe('two ingest and two projector processes on Kafka', () => {
  const engines = useSharedEngines('scale');
  const { id, start } = engines;

  it('projects exactly what was acknowledged, each run chained by its one writer', async () => {
    const { ingest, peers } = await engines.startIngestPeers();
    expect(ingest.map((started) => started.base)).toEqual(peers);
    const projectors = [
      await start({ RUNLOG_ROLES: 'projector,gateway' }),
      await start({ RUNLOG_ROLES: 'projector,gateway' }),
    ];

    // The experiment through one process, its runs through the other: a run's owner reads an experiment that may
    // be owned elsewhere.
    const experiment = await post<{ experimentId: string }>(ingest[1].base, '/api/v1/experiments', {
      name: 'scale-out',
    });
    expect(experiment.status).toBe(201);
    const runIds: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      const run = await post<{ runId: string }>(ingest[r % 2].base, '/api/v1/runs', {
        experimentId: experiment.body.experimentId,
        runId: `${id}-run-${r}`,
      });
      expect(run).toMatchObject({ status: 201 });
      runIds.push(run.body.runId);
    }
    // Both processes own some of the runs, so both write and both forward.
    expect(new Set(runIds.map((runId) => ownerOf(runId, 2))).size).toBe(2);

    const logs: RetryLog[] = runIds.map(() => ({ statuses: new Map(), retryAfter: 0 }));
    const batches = Array.from({ length: BATCHES_PER_RUN }, (_, b) => b);
    const bases = ingest.map((p) => p.base);
    await Promise.all(
      runIds.map((runId, r) => sendBatchesWithRetry(bases, runId, batches, POINTS_PER_BATCH, logs[r], 2)),
    );
    // Every batch acknowledged at its first try, half of them forwarded to their run's owner.
    for (const log of logs) expect([...log.statuses.values()]).toEqual(batches.map(() => [200]));

    // An artifact uploaded through a process that does not own the run: stored there, recorded by the owner, and
    // served by either.
    const modelRun = runIds[0];
    const viaOther = ingest[1 - ownerOf(modelRun, 2)].base;
    const model = randomBytes(300_000);
    const uploaded = await fetch(`${viaOther}/api/v1/runs/${modelRun}/artifacts/model/weights.bin`, {
      method: 'PUT',
      body: model,
    });
    expect(uploaded.status).toBe(201);
    expect(await uploaded.json()).toMatchObject({ digest: sha256(model), appended: true });
    for (const peer of ingest) {
      const download = await fetch(`${peer.base}/api/v1/runs/${modelRun}/artifacts/model/weights.bin`);
      expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(model));
    }

    // A client retry that reaches the other process than its first try: acknowledged, not appended twice.
    for (const [r, runId] of runIds.entries()) {
      for (const b of [0, 5]) {
        const retry = await post(ingest[(r + b + 1) % 2].base, `/api/v1/runs/${runId}/metrics`, {
          eventId: batchEventId(runId, b),
          ...countingBatch(b, POINTS_PER_BATCH),
        });
        expect(retry).toMatchObject({ status: 200, body: { appended: false } });
      }
      const params = await post(ingest[r % 2].base, `/api/v1/runs/${runId}/params`, {
        params: { lr: 0.01 * r },
      });
      expect(params.status).toBe(200);
      expect(await post(ingest[(r + 1) % 2].base, `/api/v1/runs/${runId}/finish`, {})).toMatchObject({
        status: 200,
      });
    }
    // The owner's refusal comes back through the process that forwarded it.
    const missing = `${id}-no-such-run`;
    const notOwner = 1 - ownerOf(missing, 2);
    expect(
      await post(ingest[notOwner].base, `/api/v1/runs/${missing}/params`, { params: { a: 1 } }),
    ).toMatchObject({ status: 404, body: { error: 'not_found' } });

    for (const projector of projectors) await waitForProjection(projector.base, 120_000);
    for (const runId of runIds) {
      for (const projector of projectors) {
        expect(await runSummary(projector.base, runId)).toEqual({
          status: 'finished',
          metrics: countingSummary(BATCHES_PER_RUN, POINTS_PER_BATCH),
        });
      }
      const { runHistory } = await gql<{
        runHistory: { type: string; prevHash: string | null; hash: string }[];
      }>(projectors[0].base, 'query ($id: ID!) { runHistory(runId: $id) { type prevHash hash } }', {
        id: runId,
      });
      expect(runHistory.map((event) => event.type)).toEqual([
        'run.created',
        ...(runId === modelRun ? ['run.artifact_logged'] : []),
        'run.params_logged',
        'run.finished',
      ]);
      expect(runHistory[0].prevHash).toBeNull();
      for (let i = 1; i < runHistory.length; i++) expect(runHistory[i].prevHash).toBe(runHistory[i - 1].hash);
    }
  });
});
