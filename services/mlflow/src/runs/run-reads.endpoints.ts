import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  FilterMeaningError,
  FilterSyntaxError,
  parseOrderKey,
  parseRunFilter,
  type OrderKey,
  type RunFilter,
} from '../../../../libs/search/src';
import { InvalidCursorError, searchRuns } from '../../../../libs/store/src';
import { MlflowBackend } from '../protocol/mlflow-backend';
import type { MlflowEndpoint, MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';
import { LOGGED_MODEL_TAG } from '../models/logged-model-json';
import { RUN_NAME_TAG } from './run-json';
import { RunReads } from './run-reads';
import { runIdOf } from './run-writes.endpoints';

/** MLflow's runs/search page size: 1,000 by default, 50,000 at most. */
const DEFAULT_MAX_RESULTS = 1000;
const MAX_RESULTS = 50_000;

/** MLflow names a run's attributes without an entity too (`status = 'FINISHED'`); Runlog's grammar wants one. */
const BARE_ATTRIBUTE =
  /(^|\band\s+|\bor\s+|\()\s*(`?)(run_id|run_name|status|start_time|end_time|created|user_id)\2(?=\s*(?:[=!<>]|\bLIKE\b|\bILIKE\b|\bIN\b|\bNOT\b|\bIS\b|\bASC\b|\bDESC\b|$))/gi;

/** Applies `rewrite` to the text outside quoted strings and backquoted keys only. */
function outsideQuotes(text: string, rewrite: (part: string) => string): string {
  return text
    .split(/('(?:[^'\\]|''|\\.)*'|"(?:[^"\\]|""|\\.)*"|`(?:[^`]|``)*`)/)
    .map((part, index) => (index % 2 === 1 ? part : rewrite(part)))
    .join('');
}

const prefixBareAttributes = (text: string) =>
  outsideQuotes(text, (part) =>
    part.replace(
      BARE_ATTRIBUTE,
      (_all, before: string, tick: string, key: string) => `${before}attributes.${tick}${key}${tick}`,
    ),
  );

/** MLflow keeps a run's name in the tag `mlflow.runName`; Runlog keeps it as the run's name: the same filter. */
function runNameTagAsAttribute(filter: RunFilter): RunFilter {
  if ('clauses' in filter) {
    return { ...filter, clauses: filter.clauses.map(runNameTagAsAttribute) };
  }
  return filter.entity === 'tags' && filter.key === RUN_NAME_TAG
    ? ({ ...filter, entity: 'attributes', key: 'run_name' } as RunFilter)
    : filter;
}

export function runFilterOf(filter: string | undefined): RunFilter | null {
  if (filter === undefined) return null;
  const parsed = parseRunFilter(prefixBareAttributes(filter));
  return parsed && runNameTagAsAttribute(parsed);
}

/** MLflow orders what the asked keys leave tied by start time, newest first, then by run id. */
export function withMlflowTieBreakers(orderBy: readonly OrderKey[]): OrderKey[] {
  const asked = new Set(orderBy.filter((key) => key.entity === 'attributes').map((key) => key.key));
  const ties: OrderKey[] = [
    { entity: 'attributes', key: 'start_time', descending: true },
    { entity: 'attributes', key: 'run_id', descending: false },
  ];
  return [...orderBy, ...ties.filter((tie) => !asked.has(tie.key))];
}

export function orderKeyOf(text: string): OrderKey {
  const key = parseOrderKey(prefixBareAttributes(text), 'order_by');
  return key.entity === 'tags' && key.key === RUN_NAME_TAG
    ? { ...key, entity: 'attributes', key: 'run_name' }
    : key;
}

function withoutLoggedModels(filter: RunFilter | null): RunFilter {
  const notAModel: RunFilter = { kind: 'null', entity: 'tags', key: LOGGED_MODEL_TAG, negated: false };
  return filter ? { kind: 'and', clauses: [notAModel, filter] } : notAModel;
}

/** runs/get and runs/search: whole runs from the projection, in the caller's read scope. */
@Injectable()
export class RunReadsEndpoints implements MlflowEndpoints {
  constructor(
    private readonly backend: MlflowBackend,
    private readonly reads: RunReads,
  ) {}

  endpoints(): MlflowEndpoint[] {
    return [
      {
        methods: ['GET'],
        path: 'runs/get',
        handle: async ({ fields, request }) => ({ run: await this.reads.get(request, runIdOf(fields)) }),
      },
      {
        methods: ['POST', 'GET'],
        path: 'runs/search',
        handle: ({ fields, request }) => this.search(fields, request),
      },
    ];
  }

  private async search(fields: MlflowFields, request: Request) {
    const experimentIds = fields.strings('experiment_ids');
    const view = (fields.string('run_view_type') ?? 'ACTIVE_ONLY').toUpperCase();
    if (!['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL', '1', '2', '3'].includes(view))
      throw invalid(`Invalid run_view_type '${view}'`);
    const maxResults = fields.int64('max_results') ?? DEFAULT_MAX_RESULTS;
    if (maxResults < 1 || maxResults > MAX_RESULTS) {
      throw invalid(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${MAX_RESULTS}, received ${maxResults}`,
      );
    }
    let filter: RunFilter | null;
    let orderBy: OrderKey[];
    try {
      filter = runFilterOf(fields.string('filter'));
      orderBy = fields.strings('order_by').map(orderKeyOf);
    } catch (error) {
      if (error instanceof FilterSyntaxError) throw invalid(`Invalid search expression: ${error.message}`);
      throw error;
    }
    const seen = new Set<string>();
    for (const key of orderBy) {
      const name = `${key.entity}.${key.key}`;
      if (seen.has(name)) throw invalid(`\`order_by\` contains duplicate fields: ${name}`);
      seen.add(name);
    }
    const scope = await this.backend.read(request);
    const pageToken = fields.string('page_token');
    let page;
    try {
      page = await searchRuns(this.backend.reader, {
        scope: {
          experimentIds,
          workspaces: scope,
          includeDeleted: view === 'ALL' || view === '3',
          deletedOnly: view === 'DELETED_ONLY' || view === '2',
        },
        // Logged models are runs here (models/logged-models.endpoints.ts): MLflow's run search does not list them.
        filter: withoutLoggedModels(filter),
        orderBy: withMlflowTieBreakers(orderBy),
        first: maxResults,
        ...(pageToken === undefined ? {} : { after: pageToken }),
      });
    } catch (error) {
      if (error instanceof FilterMeaningError || error instanceof InvalidCursorError)
        throw invalid(error.message);
      throw error;
    }
    const runs = await this.reads.whole(page.runs.map((found) => found.run));
    const last = page.runs[page.runs.length - 1];
    return { runs, ...(page.hasNextPage && last ? { next_page_token: last.cursor } : {}) };
  }
}
