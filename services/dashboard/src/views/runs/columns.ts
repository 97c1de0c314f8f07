import type { SearchRunsQuery } from '../../api/generated';

export type RunRow = SearchRunsQuery['searchRuns']['edges'][number]['node'];
export type Entity = 'params' | 'tags' | 'metrics' | 'attributes';

/** A column of the runs table: an entity and key as the search grammar names them (`params.lr`). */
export interface Column {
  id: string;
  entity: Entity;
  key: string;
}

const ENTITIES: readonly Entity[] = ['params', 'tags', 'metrics', 'attributes'];
/** The attributes a column (and the search's orderBy) may name, with how a row shows them. */
const ATTRIBUTES: Record<string, (row: RunRow) => string | number | null> = {
  status: (row) => row.status,
  run_id: (row) => row.id,
  sweep_id: (row) => row.sweepId,
  start_time: (row) => row.startTime,
  end_time: (row) => row.endTime,
  created: (row) => row.createdAt,
};
export const ATTRIBUTE_KEYS = Object.keys(ATTRIBUTES);

export function parseColumn(id: string): Column | null {
  const dot = id.indexOf('.');
  const entity = id.slice(0, dot) as Entity;
  const key = id.slice(dot + 1);
  if (dot < 1 || !ENTITIES.includes(entity) || key === '') return null;
  if (entity === 'attributes' && !ATTRIBUTE_KEYS.includes(key)) return null;
  return { id, entity, key };
}

/** A cell's value: numbers stay numbers (so they sort and align as numbers), absent is null. */
export function cellValue(row: RunRow, column: Column): string | number | null {
  switch (column.entity) {
    case 'params':
      return row.params.find((p) => p.key === column.key)?.value ?? null;
    case 'tags':
      return row.tags.find((t) => t.key === column.key)?.value ?? null;
    case 'metrics': {
      const last = row.metrics.find((m) => m.key === column.key)?.last;
      return last === undefined ? null : last;
    }
    case 'attributes':
      return ATTRIBUTES[column.key]?.(row) ?? null;
  }
}

/** The term the search's orderBy takes for a column: keys beyond letters, digits and _ are backquoted. */
export function orderTerm(column: Column, descending: boolean): string {
  const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(column.key)
    ? column.key
    : `\`${column.key.replace(/`/g, '``')}\``;
  return `${column.entity}.${key} ${descending ? 'DESC' : 'ASC'}`;
}

/** Every column the loaded runs could show: their params, tags and metrics, and the attributes. */
export function availableColumns(rows: readonly RunRow[]): string[] {
  const seen = new Set<string>();
  // A sample is enough to offer keys: a sweep's runs share them, and 100,000 rows need not all be walked.
  const step = Math.max(1, Math.floor(rows.length / 2000));
  for (let i = 0; i < rows.length; i += step) {
    const row = rows[i];
    for (const p of row.params) seen.add(`params.${p.key}`);
    for (const t of row.tags) seen.add(`tags.${t.key}`);
    for (const m of row.metrics) seen.add(`metrics.${m.key}`);
  }
  return [...[...seen].sort(), ...ATTRIBUTE_KEYS.map((key) => `attributes.${key}`)];
}

export function formatCell(value: string | number | null, column: Column): string {
  if (value === null) return '';
  if (column.entity === 'attributes' && /time|created/.test(column.key) && typeof value === 'number') {
    return formatTime(value);
  }
  if (typeof value === 'number') return formatNumber(value);
  return value;
}

export function formatNumber(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)
    ? value.toExponential(4)
    : value.toPrecision(5);
}

export function formatTime(epochMs: number): string {
  // Local time, as the as-of picker takes it (sv-SE writes ISO order: 2026-12-04 08:59:37).
  return new Date(epochMs).toLocaleString('sv-SE');
}
