import { gql } from './runlog-client';

/**
 * Metric batches whose points count themselves: batch b holds steps [b*n, (b+1)*n) with value = step, so a lost or
 * doubled point changes the count, and a lost batch at the end changes the max.
 */
export function countingBatch(b: number, pointsPerBatch: number) {
  const steps = Array.from({ length: pointsPerBatch }, (_, i) => b * pointsPerBatch + i);
  return { metrics: [{ key: 'loss', steps, values: steps }] };
}

export interface MetricSummary {
  key: string;
  count: number;
  min: number;
  max: number;
  last: number;
}

/** What the run's summary must be once `batches` counting batches are projected exactly once. */
export function countingSummary(batches: number, pointsPerBatch: number): MetricSummary[] {
  const points = batches * pointsPerBatch;
  return [{ key: 'loss', count: points, min: 0, max: points - 1, last: points - 1 }];
}

export async function runSummary(
  base: string,
  runId: string,
): Promise<{ status: string; metrics: MetricSummary[] } | null> {
  const data = await gql<{ run: { status: string; metrics: MetricSummary[] } | null }>(
    base,
    'query ($id: ID!) { run(id: $id) { status metrics { key count min max last } } }',
    { id: runId },
  );
  return data.run;
}

/** Points of the run's first key the projection holds so far: 0 until the run itself is projected. */
export async function projectedPoints(base: string, runId: string): Promise<number> {
  return (await runSummary(base, runId))?.metrics[0]?.count ?? 0;
}
