import { Inject, Injectable } from '@nestjs/common';
import { ValidationError } from '../../../../libs/domain/src/errors';
import {
  FilterMeaningError,
  FilterSyntaxError,
  parseOrderKey,
  parseRunFilter,
  type OrderKey,
  type RunFilter,
} from '../../../../libs/search/src';
import {
  CLICKHOUSE,
  InvalidCursorError,
  readerFor,
  searchRuns,
  type ClickHouse,
  type ClickhouseReader,
  type RunSearchScope,
} from '../../../../libs/store/src';
import { toRun } from '../runs/runs.service';
import type { RunConnection } from './run-search.models';

export interface RunSearchArgs {
  scope: RunSearchScope;
  filter?: string;
  orderBy?: string[];
  first: number;
  after?: string;
}

/** Search and ranking of runs: MLflow's filter and order_by grammar, read from ClickHouse in one query a page. */
@Injectable()
export class RunSearchService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async search(args: RunSearchArgs): Promise<RunConnection> {
    const page = await refusingBadInput(() =>
      searchRuns(this.reader, {
        scope: args.scope,
        filter: parse('filter', () => (args.filter === undefined ? null : parseRunFilter(args.filter))),
        orderBy: (args.orderBy ?? []).map((text, index) =>
          parse(`orderBy[${index}]`, () => parseOrderKey(text)),
        ),
        first: args.first,
        after: args.after,
      }),
    );
    const edges = page.runs.map(({ run, cursor }) => ({ cursor, node: toRun(run) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}

function parse<T extends RunFilter | OrderKey | null>(field: string, parseIt: () => T): T {
  try {
    return parseIt();
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw new ValidationError(error.message, field);
    throw error;
  }
}

/** What the filter means (a text compared with a metric) and cursors are checked as the SQL is made. */
async function refusingBadInput<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FilterMeaningError) throw new ValidationError(`filter: ${error.message}`, 'filter');
    if (error instanceof InvalidCursorError) throw new ValidationError(error.message, 'after');
    throw error;
  }
}
