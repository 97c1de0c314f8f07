import type { Comparator, Comparison, Entity, FilterValue, RunFilter } from './run-filter';

/** A filter that parses but cannot mean anything (a string compared with a metric, an unknown attribute). */
export class FilterMeaningError extends Error {
  readonly code = 'invalid_filter';
  constructor(
    message: string,
    /** The argument it is about: filter, orderBy or groupBy. */
    readonly field = 'filter',
  ) {
    super(message);
  }
}

/**
 * A number as a parameter's text when the client's serializer would refuse it (chDB's takes neither ±Infinity nor
 * whole numbers past 2^53): ClickHouse parses `inf` and `1e+16` as Float64 all the same.
 */
export function floatParam(value: number): number | string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return Number.isInteger(value) && !Number.isSafeInteger(value) ? String(value) : value;
}

/** Placeholders and their values: every literal of a filter is bound, never written into the SQL. */
export class BoundParams {
  readonly values: Record<string, unknown> = {};
  private next = 0;

  constructor(private readonly prefix = 'f') {}

  bind(value: unknown, type: 'String' | 'Float64' | 'Int64' | 'Array(String)' | 'Array(Float64)'): string {
    const name = `${this.prefix}${this.next++}`;
    if (type === 'Array(Float64)') {
      // Numbers as text in a String array, converted by the engine: one refused element would sink the query.
      this.values[name] = (value as number[]).map((item) => String(floatParam(item)));
      return `arrayMap(x -> toFloat64(x), {${name}:Array(String)})`;
    }
    this.values[name] = type === 'Float64' && typeof value === 'number' ? floatParam(value) : value;
    return `{${name}:${type}}`;
  }
}

interface AttributeColumn {
  sql: string;
  type: 'text' | 'number';
  /** Compared without regard to case (status: MLflow says FINISHED, Runlog stores finished). */
  caseless?: boolean;
}

/** The attributes a filter may name, over the `runs` table (aliases as MLflow spells them). */
const ATTRIBUTES: Record<string, AttributeColumn> = {
  status: { sql: 'status', type: 'text', caseless: true },
  name: { sql: 'name', type: 'text' },
  run_name: { sql: 'name', type: 'text' },
  run_id: { sql: 'run_id', type: 'text' },
  id: { sql: 'run_id', type: 'text' },
  experiment_id: { sql: 'experiment_id', type: 'text' },
  sweep_id: { sql: 'sweep_id', type: 'text' },
  parent_run_id: { sql: 'parent_run_id', type: 'text' },
  start_time: { sql: 'toUnixTimestamp64Milli(start_time)', type: 'number' },
  end_time: { sql: 'toUnixTimestamp64Milli(end_time)', type: 'number' },
  created: { sql: 'toUnixTimestamp64Milli(created_at)', type: 'number' },
  created_at: { sql: 'toUnixTimestamp64Milli(created_at)', type: 'number' },
};

const SQL_OP: Record<Comparator, string> = {
  '=': '=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  LIKE: 'LIKE',
  ILIKE: 'ILIKE',
};

/**
 * The filter as a boolean SQL expression over a row of `runs` (columns run_id, name, status…), every literal a
 * bound parameter. MLflow's meaning: a metric compares its last value; a param compares as text, or as a number
 * when the literal is one (numeric params only); `!=`, `NOT IN` and the orderings hold only for runs that have the
 * key; `IS NULL` holds for runs that do not.
 */
export function renderRunFilter(filter: RunFilter, database: string, params: BoundParams): string {
  if ('clauses' in filter) {
    const joiner = filter.kind === 'and' ? ' AND ' : ' OR ';
    return `(${filter.clauses.map((clause) => renderRunFilter(clause, database, params)).join(joiner)})`;
  }
  return renderComparison(filter, database, params);
}

function renderComparison(clause: Comparison, database: string, params: BoundParams): string {
  if (clause.entity === 'attributes') return renderAttribute(clause, params);
  const source = keyedSource(clause.entity, database, params.bind(clause.key, 'String'));
  if (clause.kind === 'null') {
    return `run_id ${clause.negated ? '' : 'NOT '}IN (SELECT run_id FROM ${source.from})`;
  }
  const numeric = clause.entity === 'metrics' || (clause.entity === 'params' && numericLiterals(clause));
  const condition = valueCondition(clause, source.value(numeric), numeric, params);
  return `run_id IN (SELECT run_id FROM ${source.from} ${source.grouped ? 'HAVING' : 'AND'} ${condition})`;
}

interface KeyedSource {
  /** `<table> WHERE key = …` (and GROUP BY for metrics), ready for a condition on its value. */
  from: string;
  grouped: boolean;
  value(numeric: boolean): string;
}

function keyedSource(entity: Exclude<Entity, 'attributes'>, database: string, key: string): KeyedSource {
  if (entity === 'metrics') {
    return {
      from: `${database}.metric_summary WHERE key = ${key} GROUP BY run_id`,
      grouped: true,
      value: () => 'argMaxMerge(last)',
    };
  }
  const table = entity === 'params' ? 'params' : 'tags';
  return {
    from: `${database}.${table} FINAL WHERE key = ${key}`,
    grouped: false,
    value: (numeric) => (numeric ? 'value_num' : 'value'),
  };
}

function numericLiterals(clause: Comparison): boolean {
  if (clause.kind === 'compare') return typeof clause.value === 'number';
  if (clause.kind === 'in') return clause.values.every((value) => typeof value === 'number');
  return false;
}

function valueCondition(clause: Comparison, column: string, numeric: boolean, params: BoundParams): string {
  const { entity } = clause;
  if (clause.kind === 'in') {
    const values = clause.values.map((value) => literal(value, numeric, entity, clause.key));
    const list = numeric ? params.bind(values, 'Array(Float64)') : params.bind(values, 'Array(String)');
    return `${column} ${clause.negated ? 'NOT IN' : 'IN'} ${list}`;
  }
  if (clause.kind !== 'compare') throw new Error('unreachable');
  if ((clause.op === 'LIKE' || clause.op === 'ILIKE') && numeric) {
    throw new FilterMeaningError(`${entity}.${clause.key}: ${clause.op} compares text, not numbers`);
  }
  const value = literal(clause.value, numeric, entity, clause.key);
  return `${column} ${SQL_OP[clause.op]} ${params.bind(value, numeric ? 'Float64' : 'String')}`;
}

function literal(value: FilterValue, numeric: boolean, entity: Entity, key: string): FilterValue {
  if (numeric && typeof value !== 'number') {
    throw new FilterMeaningError(
      `${entity}.${key} is compared with numbers, not with ${JSON.stringify(value)}`,
    );
  }
  if (!numeric && typeof value !== 'string') {
    throw new FilterMeaningError(`${entity}.${key} is compared with quoted text, not with ${value}`);
  }
  return value;
}

function renderAttribute(clause: Comparison, params: BoundParams): string {
  const key = clause.key.toLowerCase();
  // Own keys only: `constructor` or `__proto__` name no attribute.
  const attribute = Object.hasOwn(ATTRIBUTES, key) ? ATTRIBUTES[key] : undefined;
  if (!attribute) {
    throw new FilterMeaningError(
      `attributes.${clause.key} is not an attribute: ${Object.keys(ATTRIBUTES).join(', ')}`,
    );
  }
  if (clause.kind === 'null') {
    // Only nullable attributes can be absent; the others are never null.
    const nullable = ['end_time', 'sweep_id', 'parent_run_id'].includes(clause.key.toLowerCase());
    if (!nullable) return clause.negated ? '1' : '0';
    return `${attribute.sql} IS ${clause.negated ? 'NOT ' : ''}NULL`;
  }
  const column = attribute.caseless ? `lower(${attribute.sql})` : attribute.sql;
  if (attribute.type === 'number') return valueCondition(clause, column, true, params);
  const lowered: Comparison =
    attribute.caseless && clause.kind === 'compare' && typeof clause.value === 'string'
      ? { ...clause, value: clause.value.toLowerCase() }
      : attribute.caseless && clause.kind === 'in'
        ? { ...clause, values: clause.values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v)) }
        : clause;
  return valueCondition(lowered, column, false, params);
}
