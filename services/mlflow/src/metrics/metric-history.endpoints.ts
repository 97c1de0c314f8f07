import { Injectable } from '@nestjs/common';
import { getMetricHistoryPage } from '../../../../libs/store/src';
import { MlflowBackend } from '../protocol/mlflow-backend';
import type { MlflowEndpoint, MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid } from '../protocol/mlflow-error';
import { offsetOf, offsetToken } from '../protocol/mlflow-fields';
import { metricJson } from '../runs/run-json';
import { RunReads } from '../runs/run-reads';
import { runIdOf } from '../runs/run-writes.endpoints';

/** The client pages by 25,000 (GET_METRIC_HISTORY_MAX_RESULTS); a request without max_results gets that page. */
const DEFAULT_PAGE = 25_000;
const MAX_PAGE = 100_000;

/** metrics/get-history: every raw point of one series, in pages. */
@Injectable()
export class MetricHistoryEndpoints implements MlflowEndpoints {
  constructor(
    private readonly backend: MlflowBackend,
    private readonly reads: RunReads,
  ) {}

  endpoints(): MlflowEndpoint[] {
    return [
      {
        methods: ['GET'],
        path: 'metrics/get-history',
        handle: async ({ fields, request }) => {
          const runId = runIdOf(fields);
          const key = fields.required('metric_key');
          const limit = fields.int64('max_results') ?? DEFAULT_PAGE;
          if (limit < 1 || limit > MAX_PAGE)
            throw invalid(`max_results must be 1 to ${MAX_PAGE}, got ${limit}`);
          const offset = offsetOf(fields.string('page_token'));
          await this.reads.view(request, runId);
          // One more than the page, to know whether another follows.
          const points = await getMetricHistoryPage(this.backend.reader, { runId, key }, offset, limit + 1);
          const page = points.slice(0, limit).map((point) => metricJson(key, point));
          if (page.length === 0) return {};
          return {
            metrics: page,
            ...(points.length > limit ? { next_page_token: offsetToken(offset + limit) } : {}),
          };
        },
      },
    ];
  }
}
