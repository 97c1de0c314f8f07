import { ValidationError } from '../../../../libs/domain/src/errors';
import type { LogMetricsBody } from '../ingest.schemas';

/**
 * Points per request, at most. Keeps one request's event well inside one ClickHouse insert of the projector
 * (RUNLOG_PROJECTOR_MAX_INSERT_ROWS) and a single append's group commit short.
 */
export const MAX_POINTS_PER_REQUEST = 250_000;

/** What a JSON schema cannot say about columnar batches: parallel arrays of equal length, a bounded total. */
export function checkMetricColumns(metrics: LogMetricsBody['metrics']): void {
  let total = 0;
  metrics.forEach((series, index) => {
    const n = series.steps.length;
    if (series.values.length !== n) {
      throw new ValidationError(
        `"metrics[${index}].values" has ${series.values.length} items but "steps" has ${n}`,
        `metrics[${index}].values`,
      );
    }
    if (series.timestamps && series.timestamps.length !== n) {
      throw new ValidationError(
        `"metrics[${index}].timestamps" has ${series.timestamps.length} items but "steps" has ${n}`,
        `metrics[${index}].timestamps`,
      );
    }
    total += n;
  });
  if (total > MAX_POINTS_PER_REQUEST) {
    throw new ValidationError(
      `"metrics" holds ${total} points; at most ${MAX_POINTS_PER_REQUEST} per request (split the batch)`,
      'metrics',
    );
  }
}
