/**
 * End-to-end throughput, as processes a user would run, on the embedded engines or (given `engines`, the
 * RUNLOG_* variables of the distributed adapters) on Kafka and ClickHouse over HTTP:
 *  1. HTTP request → acknowledged append (ingest-only process, so the projector does not compete for the CPU);
 *  2. log → ClickHouse (projector + gateway process draining the backlog the first phase left);
 *  3. `runlog replay --no-swap`: the whole log projected again into fresh tables, then compared (the replay rate).
 * Usage: npm run bench -- [points=1000000] [pointsPerRequest=10000] [concurrency=4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExperimentAndRun, post, projectionLag } from '../test/support/runlog-client';
import { startRunlog } from '../test/support/runlog-process';
import { progress } from './support';

export interface PipelineResult {
  points: number;
  pointsPerRequest: number;
  concurrency: number;
  ingestSeconds: number;
  ingestPointsPerSecond: number;
  projectSeconds: number;
  projectPointsPerSecond: number;
  projectorStartSeconds: number;
  /** The replay's own rate: points projected into the fresh tables per second of projecting. */
  replayPointsPerSecond: number;
  /** The whole replay, preparing and the checksum comparison included. */
  replaySeconds: number;
  replayState: string;
}

interface ReplayStatus {
  state: string;
  records: { done: number; total: number };
  points: number;
  pointsPerSecond: number;
}

/** `runlog replay --no-swap`, as the CLI drives it: start, then follow the status to its end. */
async function replayOnce(base: string, points: number): Promise<{ status: ReplayStatus; seconds: number }> {
  const started = Date.now();
  const start = await post(base, '/admin/replay', { swap: false });
  if (start.status !== 202) throw new Error(`replay refused: ${JSON.stringify(start.body)}`);
  for (;;) {
    const status = (await (await fetch(`${base}/admin/replay`)).json()) as ReplayStatus;
    progress('replay (log → fresh tables)', Math.min(status.points, points), points, started);
    if (['compared', 'mismatch', 'failed', 'swapped'].includes(status.state)) {
      return { status, seconds: (Date.now() - started) / 1000 };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function benchPipeline(
  points: number,
  pointsPerRequest: number,
  concurrency: number,
  engines: Record<string, string> = {},
): Promise<PipelineResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runlog-bench-'));
  try {
    const ingest = await startRunlog(dataDir, { ...engines, RUNLOG_ROLES: 'ingest' });
    const { runId } = await createExperimentAndRun(ingest.base, 'bench');
    const requests = Math.ceil(points / pointsPerRequest);
    // Bodies are made before the clock starts: we measure the server, not the generator.
    const bodies = Array.from({ length: requests }, (_, r) => {
      const steps = Array.from(
        { length: Math.min(pointsPerRequest, points - r * pointsPerRequest) },
        (_, i) => r * pointsPerRequest + i,
      );
      return JSON.stringify({
        metrics: [{ key: 'train/loss', steps, values: steps.map((s) => 1 / (1 + s)) }],
      });
    });
    let next = 0;
    let acked = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const response = await post(ingest.base, `/api/v1/runs/${runId}/metrics`, body);
          if (response.status !== 200)
            throw new Error(`ingest refused a batch: ${JSON.stringify(response.body)}`);
          acked += (response.body as { points: number }).points;
          progress('ingest (HTTP → acknowledged append)', acked, points, started);
        }
      }),
    );
    const ingestSeconds = (Date.now() - started) / 1000;
    await ingest.stop();

    const startRequested = Date.now();
    const projector = await startRunlog(dataDir, { ...engines, RUNLOG_ROLES: 'projector,gateway' });
    const startSeconds = (Date.now() - startRequested) / 1000;
    // The projector may begin its first batch before the ready line: the from-ready rate flatters it slightly,
    // the from-spawn rate (projectorStartSeconds + projectSeconds) charges it the engine's start.
    const projectStarted = Date.now();
    for (;;) {
      // On Kafka runlog.metrics has several partitions, each with its own entry: their sums are the topic's.
      const metrics = (await projectionLag(projector.base))
        .filter((lag) => lag.topic === 'runlog.metrics')
        .reduce(
          (sum, lag) => ({
            committedOffset: sum.committedOffset + lag.committedOffset,
            endOffset: sum.endOffset + lag.endOffset,
            lag: sum.lag + lag.lag,
          }),
          { committedOffset: 0, endOffset: 0, lag: 0 },
        );
      const done =
        metrics.endOffset === 0 ? 0 : Math.round((points * metrics.committedOffset) / metrics.endOffset);
      progress('project (log → ClickHouse)', metrics.lag === 0 ? points : done, points, projectStarted);
      if (metrics.lag === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const projectSeconds = (Date.now() - projectStarted) / 1000;
    const replay = await replayOnce(projector.base, points);
    await projector.stop();
    return {
      points,
      pointsPerRequest,
      concurrency,
      ingestSeconds,
      ingestPointsPerSecond: Math.round(points / ingestSeconds),
      projectSeconds,
      projectPointsPerSecond: Math.round(points / projectSeconds),
      projectorStartSeconds: startSeconds,
      replayPointsPerSecond: replay.status.pointsPerSecond,
      replaySeconds: replay.seconds,
      replayState: replay.status.state,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
