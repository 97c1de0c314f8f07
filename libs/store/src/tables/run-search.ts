import {
  BoundParams,
  FilterMeaningError,
  floatParam,
  renderRunFilter,
  type OrderKey,
  type RunFilter,
} from '../../../search/src';
import type { ClickhouseReader } from '../ports';
import type { ReadScope } from './read-scope';
import { metricValue } from './metric-points.table';
import { RUN_SELECT, toRunView, type RawRun, type RunView } from './runs.table';

/** Where a search looks: runs of these experiments, or of one sweep (at least one of them). */
export interface RunSearchScope {
  experimentIds?: readonly string[];
  sweepId?: string;
  includeDeleted?: boolean;
  /** Deleted runs only (MLflow's DELETED_ONLY view); includeDeleted is then implied. */
  deletedOnly?: boolean;
  /** Only runs of these workspaces (the caller's read scope); every workspace when absent. */
  workspaces?: ReadScope;
}

export interface RunSearch {
  scope: RunSearchScope;
  filter: RunFilter | null;
  orderBy: readonly OrderKey[];
  first: number;
  /** A cursor from an earlier page: the page starts after that run. */
  after?: string;
  /** Only the first run, in this order, of each value of this key (runs without it left out); no cursor then. */
  onePerGroup?: GroupKey;
}

export interface GroupKey {
  entity: 'params' | 'tags' | 'attributes';
  key: string;
}

export interface RunSearchPage {
  /** `values`: what the run was ordered by, key by key (the tie-breakers last); `group`: its value of onePerGroup. */
  runs: { run: RunView; cursor: string; values: SortValue[]; group: string | null }[];
  hasNextPage: boolean;
}

export type SortValue = number | string | null;

interface SortColumn {
  /** The expression ordered by, over the joined row. */
  sql: string;
  type: 'Float64' | 'String' | 'Int64';
  descending: boolean;
  nullable: boolean;
}

/** Always last, never null: runs with equal keys keep one order, and a cursor names exactly one place. */
const TIE_BREAKERS: SortColumn[] = [
  { sql: 'toUnixTimestamp64Milli(created_at)', type: 'Int64', descending: true, nullable: false },
  { sql: 'run_id', type: 'String', descending: false, nullable: false },
];

const NUMERIC_ATTRIBUTES: Record<string, string> = {
  start_time: 'toUnixTimestamp64Milli(start_time)',
  end_time: 'toUnixTimestamp64Milli(end_time)',
  created: 'toUnixTimestamp64Milli(created_at)',
  created_at: 'toUnixTimestamp64Milli(created_at)',
};
const TEXT_ATTRIBUTES: Record<string, string> = {
  status: 'status',
  name: 'name',
  run_name: 'name',
  run_id: 'run_id',
  id: 'run_id',
};

/**
 * One page of runs matching a filter, in the asked order (nulls last, then newest first, then by id), with keyset
 * cursors: a page starts strictly after the last run of the one before, so runs arriving meanwhile neither shift
 * a page nor repeat a run. Metrics order by their last value, params numerically (then as text).
 */
export async function searchRuns(reader: ClickhouseReader, search: RunSearch): Promise<RunSearchPage> {
  const db = reader.database;
  const params = new BoundParams('s');
  const joins: string[] = [];
  const columns: SortColumn[] = [];
  const { required, rest: filter } = splitRequiredMetrics(search.filter);
  search.orderBy.forEach((order, index) =>
    columns.push(...sortColumns(order, `o${index}`, db, params, joins, required)),
  );
  columns.push(...TIE_BREAKERS);

  const where: string[] = [];
  const { scope } = search;
  if (scope.experimentIds !== undefined)
    where.push(`experiment_id IN ${params.bind(scope.experimentIds, 'Array(String)')}`);
  if (scope.sweepId !== undefined) where.push(`sweep_id = ${params.bind(scope.sweepId, 'String')}`);
  if (scope.deletedOnly) where.push('deleted = 1');
  else if (!scope.includeDeleted) where.push('deleted = 0');
  if (scope.workspaces !== undefined && scope.workspaces !== 'all') {
    where.push(
      scope.workspaces.length === 0 ? '0' : `workspace IN ${params.bind(scope.workspaces, 'Array(String)')}`,
    );
  }
  for (const key of required) {
    // A metric the filter requires and no ordering joined: its clause, as written.
    if (!search.orderBy.some((order) => order.entity === 'metrics' && order.key === key)) {
      where.push(renderRunFilter({ kind: 'null', entity: 'metrics', key, negated: true }, db, params));
    }
  }
  if (filter) where.push(renderRunFilter(filter, db, params));
  if (search.after !== undefined) {
    if (search.onePerGroup)
      throw new InvalidCursorError('after: a search for one run per group has no pages');
    where.push(afterCursor(columns, decodeCursor(search.after, columns), params));
  }
  const group = search.onePerGroup ? groupColumn(search.onePerGroup, db, params, joins) : null;
  if (group) where.push(`${group} IS NOT NULL`);

  const sortSelect = [
    ...columns.map((column, index) => `${column.sql} AS _sort${index}`),
    `${group ?? 'NULL'} AS _group`,
  ].join(', ');
  const order = columns
    .map(
      (column) =>
        `${column.sql} ${column.descending ? 'DESC' : 'ASC'}${column.nullable ? ' NULLS LAST' : ''}`,
    )
    .join(', ');
  const found = await reader.query<RawRun & Record<string, SortValue>>({
    name: 'searchRuns',
    sql: `${RUN_SELECT}, ${sortSelect} FROM (SELECT * FROM ${db}.runs FINAL) AS runs ${joins.join(' ')}
     WHERE ${where.length > 0 ? where.join(' AND ') : '1'}
     ORDER BY ${order} ${group ? 'LIMIT 1 BY _group' : ''} LIMIT ${params.bind(search.first + 1, 'Int64')}
     SETTINGS join_use_nulls = 1, optimize_aggregation_in_order = 1`,
    params: params.values,
  });
  const page = found.slice(0, search.first);
  return {
    runs: page.map((raw) => {
      const values = columns.map((column, index) => sortValue(raw[`_sort${index}`], column));
      const grouped = raw._group;
      return {
        run: toRunView(raw),
        cursor: encodeCursor(values),
        values,
        group: grouped === null || grouped === undefined ? null : String(grouped),
      };
    }),
    hasNextPage: found.length > search.first,
  };
}

/**
 * The metrics a filter requires a run to have (`metrics.k IS NOT NULL` clauses of its top-level AND), and the
 * filter without them: an ordering by such a metric joins it with INNER JOIN, which requires it already.
 */
function splitRequiredMetrics(filter: RunFilter | null): { required: Set<string>; rest: RunFilter | null } {
  const clauses = filter === null ? [] : filter.kind === 'and' ? filter.clauses : [filter];
  const isRequirement = (clause: RunFilter) =>
    clause.kind === 'null' && clause.entity === 'metrics' && clause.negated;
  const required = new Set(clauses.filter(isRequirement).map((clause) => (clause as { key: string }).key));
  if (required.size === 0) return { required, rest: filter };
  const rest = clauses.filter((clause) => !isRequirement(clause));
  return {
    required,
    rest: rest.length === 0 ? null : rest.length === 1 ? rest[0] : { kind: 'and', clauses: rest },
  };
}

function sortValue(raw: SortValue | undefined, column: SortColumn): SortValue {
  if (raw === null || raw === undefined) return null;
  return column.type === 'String' ? String(raw) : metricValue(raw);
}

const GROUP_ATTRIBUTES: Record<string, string> = {
  sweep: 'sweep_id',
  sweep_id: 'sweep_id',
  status: 'status',
  experiment_id: 'experiment_id',
  parent_run_id: 'parent_run_id',
};

/** The expression a run is grouped by: a tag's or param's value, or an attribute. */
function groupColumn(group: GroupKey, db: string, params: BoundParams, joins: string[]): string {
  if (group.entity === 'attributes') {
    const key = group.key.toLowerCase();
    const column = Object.hasOwn(GROUP_ATTRIBUTES, key) ? GROUP_ATTRIBUTES[key] : undefined;
    if (!column) {
      throw new FilterMeaningError(
        `attributes.${group.key} cannot group runs: ${Object.keys(GROUP_ATTRIBUTES).join(', ')}`,
        'groupBy',
      );
    }
    return column;
  }
  joins.push(
    `LEFT JOIN (SELECT run_id, value AS g_value FROM ${db}.${group.entity} FINAL WHERE key = ${params.bind(group.key, 'String')}) AS j_group USING run_id`,
  );
  return 'g_value';
}

/** The columns one ordering key sorts by, joining what it needs (a metric's value, a param's). */
function sortColumns(
  order: OrderKey,
  alias: string,
  db: string,
  params: BoundParams,
  joins: string[],
  requiredMetrics: ReadonlySet<string>,
): SortColumn[] {
  const { descending } = order;
  if (order.entity === 'metrics') {
    const aggregate =
      order.aggregate === 'min' ? 'min(min)' : order.aggregate === 'max' ? 'max(max)' : 'argMaxMerge(last)';
    // Runs without the metric, when the filter leaves them out anyway, are dropped by the join itself: one pass
    // over metric_summary instead of a join and a `run_id IN (…)` set over the same rows.
    const kind = requiredMetrics.has(order.key) ? 'INNER' : 'LEFT';
    joins.push(
      `${kind} JOIN (SELECT run_id, ${aggregate} AS ${alias} FROM ${db}.metric_summary WHERE key = ${params.bind(order.key, 'String')} GROUP BY run_id) AS j_${alias} USING run_id`,
    );
    // A NaN last value has no place in an order, nor does min/max's ±inf stand-in for "no finite value": they
    // sort with the runs that lack the metric.
    const value =
      order.aggregate === undefined || order.aggregate === 'last'
        ? `if(isNaN(${alias}), NULL, ${alias})`
        : `if(isFinite(${alias}), ${alias}, NULL)`;
    return [{ sql: value, type: 'Float64', descending, nullable: true }];
  }
  if (order.entity === 'params' || order.entity === 'tags') {
    const numeric = order.entity === 'params';
    joins.push(
      `LEFT JOIN (SELECT run_id, value AS ${alias}_text${numeric ? `, value_num AS ${alias}_num` : ''} FROM ${db}.${order.entity} FINAL WHERE key = ${params.bind(order.key, 'String')}) AS j_${alias} USING run_id`,
    );
    const text: SortColumn = { sql: `${alias}_text`, type: 'String', descending, nullable: true };
    return numeric ? [{ sql: `${alias}_num`, type: 'Float64', descending, nullable: true }, text] : [text];
  }
  const key = order.key.toLowerCase();
  const numeric = Object.hasOwn(NUMERIC_ATTRIBUTES, key) ? NUMERIC_ATTRIBUTES[key] : undefined;
  const text = Object.hasOwn(TEXT_ATTRIBUTES, key) ? TEXT_ATTRIBUTES[key] : undefined;
  if (!numeric && !text) {
    throw new FilterMeaningError(
      `attributes.${order.key} cannot order runs: ${[...Object.keys(NUMERIC_ATTRIBUTES), ...Object.keys(TEXT_ATTRIBUTES)].join(', ')}`,
      'orderBy',
    );
  }
  return [
    { sql: (numeric ?? text)!, type: numeric ? 'Int64' : 'String', descending, nullable: key === 'end_time' },
  ];
}

/**
 * "Comes after the cursor's run" in the page order, key by key: equal on every earlier key and after on this
 * one. After a value: beyond it in the key's direction, or null (nulls last); after a null: nothing.
 */
function afterCursor(columns: SortColumn[], values: SortValue[], params: BoundParams): string {
  const alternatives = columns.map((column, index) => {
    const equalBefore = columns.slice(0, index).map((earlier, i) => {
      const value = values[i];
      return value === null
        ? `${earlier.sql} IS NULL`
        : `${earlier.sql} = ${params.bind(boundValue(value), earlier.type)}`;
    });
    const value = values[index];
    if (value === null) return null;
    const beyond = `${column.sql} ${column.descending ? '<' : '>'} ${params.bind(boundValue(value), column.type)}`;
    const after = column.nullable ? `(${beyond} OR ${column.sql} IS NULL)` : beyond;
    return [...equalBefore, after].join(' AND ');
  });
  const possible = alternatives.filter((alternative): alternative is string => alternative !== null);
  return possible.length === 0 ? '0' : `(${possible.map((alternative) => `(${alternative})`).join(' OR ')})`;
}

/** A cursor's value as a parameter: numbers the client cannot serialize (±Infinity, past 2^53) as text. */
function boundValue(value: number | string): number | string {
  return typeof value === 'string' ? value : floatParam(value);
}

/** Numbers as text, so that ±Infinity (a metric's last value may be one) survive JSON. */
function encodeCursor(values: SortValue[]): string {
  const portable = values.map((value) => (typeof value === 'number' ? { n: String(value) } : value));
  return Buffer.from(JSON.stringify(portable)).toString('base64url');
}

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor';
}

function decodeCursor(cursor: string, columns: SortColumn[]): SortValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('after: not a cursor this query gave');
  }
  const decoded = Array.isArray(values)
    ? values.map((value: unknown): SortValue | undefined => {
        if (value === null || typeof value === 'string') return value;
        const text = (value as { n?: unknown } | null)?.n;
        return typeof text === 'string' && !Number.isNaN(Number(text)) ? Number(text) : undefined;
      })
    : [];
  const fits =
    decoded.length === columns.length &&
    decoded.every(
      (value, index) =>
        (value === null && columns[index].nullable) ||
        (columns[index].type === 'String'
          ? typeof value === 'string'
          : columns[index].type === 'Int64'
            ? Number.isSafeInteger(value)
            : typeof value === 'number'),
    );
  if (!fits) throw new InvalidCursorError('after: not a cursor of this ordering');
  return decoded as SortValue[];
}
