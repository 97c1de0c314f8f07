import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  getMetricHistoryBulk,
  getMetricHistoryPage,
  getRuns,
  getSampledMetricHistory,
  inReadScope,
  type RunLoggedPoint,
} from '../../../../libs/store/src';
import type { MlflowFields } from '../protocol/mlflow-fields';
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
/** MLflow's bounds of the bulk reads (the UI's charts): runs per request, points per run. */
const MAX_BULK_RUNS = 100;
const MAX_SAMPLED_PER_RUN = 2500;

const bulkJson = (key: string, points: RunLoggedPoint[]) =>
  points.map((point) => ({ ...metricJson(key, point), run_id: point.runId }));

/** metrics/get-history: every raw point of one series, in pages; the UI's bulk reads of one key over many runs. */
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
      {
        methods: ['GET'],
        path: 'metrics/get-history-bulk',
        handle: async ({ fields, request }) => {
          const runIds = fields.strings('run_id');
          if (runIds.length === 0)
            throw invalid('GetMetricHistoryBulk request must specify at least one run_id.');
          if (runIds.length > MAX_BULK_RUNS)
            throw invalid(
              `GetMetricHistoryBulk request cannot specify more than ${MAX_BULK_RUNS} run_ids. Received ${runIds.length} run_ids.`,
            );
          const key = fields.string('metric_key');
          if (key === undefined) throw invalid('GetMetricHistoryBulk request must specify a metric_key.');
          const limit = fields.int64('max_results') ?? DEFAULT_PAGE;
          if (limit < 1 || limit > MAX_PAGE)
            throw invalid(`max_results must be 1 to ${MAX_PAGE}, got ${limit}`);
          const readable = await this.readable(request, runIds);
          return {
            metrics: bulkJson(
              key,
              await getMetricHistoryBulk(this.backend.reader, { runIds: readable, key }, limit),
            ),
          };
        },
      },
      {
        methods: ['GET'],
        path: 'metrics/get-history-bulk-interval',
        handle: async ({ fields, request }) => {
          const runIds = fields.strings('run_ids');
          if (runIds.length === 0) throw invalid(`Missing value for required parameter 'run_ids'.`);
          if (runIds.length > MAX_BULK_RUNS)
            throw invalid(
              `GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUNS} run_ids.`,
            );
          const key = fields.required('metric_key');
          const maxResults = fields.int64('max_results') ?? MAX_SAMPLED_PER_RUN;
          if (maxResults < 1 || maxResults > MAX_SAMPLED_PER_RUN)
            throw invalid(`max_results must be between 1 and ${MAX_SAMPLED_PER_RUN}.`);
          const range = stepRange(fields);
          const readable = await this.readable(request, runIds);
          const points = await getSampledMetricHistory(
            this.backend.reader,
            { runIds: readable, key, ...range },
            maxResults,
          );
          return { metrics: bulkJson(key, points) };
        },
      },
    ];
  }

  /** The runs named that the caller may read (others read as empty, as unknown ones do), in the order named. */
  private async readable(request: Request, runIds: readonly string[]): Promise<string[]> {
    const scope = await this.backend.read(request);
    const found = await getRuns(this.backend.reader, [...new Set(runIds)]);
    const visible = new Set(found.filter((run) => inReadScope(scope, run.workspace)).map((run) => run.runId));
    return [...new Set(runIds)].filter((runId) => visible.has(runId));
  }
}

/** start_step and end_step, both or neither. */
function stepRange(fields: MlflowFields): { startStep?: number; endStep?: number } {
  const startStep = fields.int64('start_step');
  const endStep = fields.int64('end_step');
  if (startStep === undefined && endStep === undefined) return {};
  if (startStep === undefined || endStep === undefined)
    throw invalid('If either start step or end step are specified, both must be specified.');
  if (endStep < startStep) throw invalid('end_step must be greater than start_step. ');
  return { startStep, endStep };
}
