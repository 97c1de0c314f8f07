import { createHash } from 'node:crypto';
import { countingBatch } from './counting-batches';

export interface RetryLog {
  /** Status of every answer, in order, per batch; 0 for a request that got no answer. */
  statuses: Map<number, number[]>;
  /** 503 answers that carried Retry-After. */
  retryAfter: number;
}

/**
 * What a well-behaved client does: each metric batch has its own eventId, and a 503 or a dropped connection is
 * retried with the same eventId until the batch is acknowledged. Any other answer fails the test.
 */
export async function sendBatchesWithRetry(
  bases: string[],
  runId: string,
  batches: number[],
  pointsPerBatch: number,
  log: RetryLog,
  concurrency = 4,
): Promise<void> {
  const queue = [...batches];
  const worker = async (w: number) => {
    for (let b = queue.shift(); b !== undefined; b = queue.shift()) {
      const body = { eventId: batchEventId(runId, b), ...countingBatch(b, pointsPerBatch) };
      for (let attempt = 0; ; attempt += 1) {
        // Spread over the ingest processes, and a retry goes to another one than the try before.
        const base = bases[(b + attempt + w) % bases.length];
        let status = 0;
        let retryAfter: string | null = null;
        try {
          const response = await fetch(`${base}/api/v1/runs/${runId}/metrics`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          status = response.status;
          retryAfter = response.headers.get('retry-after');
          await response.text();
        } catch {
          status = 0;
        }
        log.statuses.set(b, [...(log.statuses.get(b) ?? []), status]);
        if (status === 200) break;
        if (status === 503 && retryAfter !== null) log.retryAfter += 1;
        if (status !== 503 && status !== 0) throw new Error(`batch ${b}: unexpected status ${status}`);
        if (attempt > 400) throw new Error(`batch ${b}: not acknowledged after ${attempt} tries`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
}

/** A UUID derived from the run and the batch number, so every try of one batch carries the same id. */
export function batchEventId(runId: string, b: number): string {
  const hex = createHash('sha256').update(`${runId}:${b}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
