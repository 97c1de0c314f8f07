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
  type GroupKey,
  type RunSearchScope,
} from '../../../../libs/store/src';
import { toRun } from '../runs/runs.service';
import { RankMode, type GroupBest, type RankedRun, type RunConnection } from './run-search.models';

export interface RankArgs {
  scope: RunSearchScope;
  metric: string;
  mode: RankMode;
  lowestFirst: boolean;
  filter?: string;
  count: number;
}

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
        orderBy: orderKeys(args.orderBy ?? []),
        first: args.first,
        after: args.after,
      }),
    );
    const edges = page.runs.map(({ run, cursor }) => ({ cursor, node: toRun(run) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** The k best runs by a metric: value first, then newest, runs without the metric left out. */
  async topRuns(args: RankArgs): Promise<RankedRun[]> {
    const { order, filter } = ranking(args);
    const page = await refusingBadInput(() =>
      searchRuns(this.reader, { scope: args.scope, filter, orderBy: [order], first: args.count }),
    );
    return page.runs.map(({ run, values }) => ({ run: toRun(run), value: values[0] as number | null }));
  }

  /** The best run of each value of a tag, a param or an attribute (a sweep, a status), best groups first. */
  async bestRunPerGroup(args: RankArgs & { groupBy: string }): Promise<GroupBest[]> {
    const { order, filter } = ranking(args);
    const groupKey = parse('groupBy', () => {
      const { entity, key } = parseOrderKey(args.groupBy, 'groupBy');
      if (entity === 'metrics')
        throw new FilterSyntaxError(
          'groupBy: runs are grouped by a tag, a param or an attribute, not a metric',
          1,
          [],
          'groupBy',
        );
      return { entity, key };
    });
    const page = await refusingBadInput(() =>
      searchRuns(this.reader, {
        scope: args.scope,
        filter,
        orderBy: [order],
        first: args.count,
        onePerGroup: groupKey,
      }),
    );
    return page.runs.map(({ run, values, group }) => ({
      group: group ?? '',
      run: toRun(run),
      value: values[0] as number | null,
    }));
  }
}

/** More keys than a dashboard sorts by: each one joins a table. */
const MAX_ORDER_KEYS = 5;

function orderKeys(texts: readonly string[]): OrderKey[] {
  if (texts.length > MAX_ORDER_KEYS) {
    throw new ValidationError(`orderBy takes at most ${MAX_ORDER_KEYS} keys`, 'orderBy');
  }
  return texts.map((text, index) => parse(`orderBy[${index}]`, () => parseOrderKey(text)));
}

/** The ranking as one ordering key; runs without the metric are left out. */
function ranking(args: RankArgs): { order: OrderKey; filter: RunFilter } {
  const has: RunFilter = { kind: 'null', entity: 'metrics', key: args.metric, negated: true };
  const given = parse('filter', () => (args.filter === undefined ? null : parseRunFilter(args.filter)));
  return {
    order: { entity: 'metrics', key: args.metric, descending: !args.lowestFirst, aggregate: args.mode },
    filter: given ? { kind: 'and', clauses: [has, given] } : has,
  };
}

function parse<T extends RunFilter | OrderKey | GroupKey | null>(field: string, parseIt: () => T): T {
  try {
    return parseIt();
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw new ValidationError(error.message, field, { column: error.column, expected: error.expected });
    }
    throw error;
  }
}

/** What the filter means (a text compared with a metric) and cursors are checked as the SQL is made. */
async function refusingBadInput<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FilterMeaningError) {
      throw new ValidationError(`${error.field}: ${error.message}`, error.field);
    }
    if (error instanceof InvalidCursorError) throw new ValidationError(error.message, 'after');
    throw error;
  }
}
