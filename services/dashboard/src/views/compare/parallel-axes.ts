import { formatNumber } from '../runs/columns';

export interface ParallelAxis {
  name: string;
  /** Each run's place on the axis, 0 (bottom) to 1 (top); null where the run has no value. */
  positions: (number | null)[];
  low: string;
  high: string;
}

interface SweepRow {
  params: { key: string; value: string }[];
  metrics: { key: string; value: number | string | null }[];
}

/**
 * One axis per param (numeric ones scaled between their extremes, others as evenly spaced categories in sorted
 * order) and the objective last.
 */
export function parallelAxes(rows: readonly SweepRow[], objective: string | null): ParallelAxis[] {
  const keys = [...new Set(rows.flatMap((row) => row.params.map((p) => p.key)))].sort();
  const axes = keys.map((key) =>
    axisOf(
      key,
      rows.map((row) => row.params.find((p) => p.key === key)?.value ?? null),
    ),
  );
  if (objective) {
    const values = rows.map((row) => {
      const value = row.metrics.find((m) => m.key === objective)?.value;
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
    });
    axes.push(axisOf(objective, values));
  }
  return axes;
}

function axisOf(name: string, values: (string | null)[]): ParallelAxis {
  const numbers = values.map((v) => (v === null || v.trim() === '' ? null : Number(v)));
  if (numbers.every((n) => n === null || Number.isFinite(n))) {
    const present = numbers.filter((n): n is number => n !== null);
    const low = present.length ? Math.min(...present) : 0;
    const high = present.length ? Math.max(...present) : 1;
    const span = high - low || 1;
    return {
      name,
      positions: numbers.map((n) => (n === null ? null : high === low ? 0.5 : (n - low) / span)),
      low: formatNumber(low),
      high: formatNumber(high),
    };
  }
  const categories = [...new Set(values.filter((v): v is string => v !== null))].sort();
  const at = new Map(
    categories.map((c, i) => [c, categories.length === 1 ? 0.5 : i / (categories.length - 1)]),
  );
  return {
    name,
    positions: values.map((v) => (v === null ? null : (at.get(v) ?? null))),
    low: categories[0] ?? '',
    high: categories[categories.length - 1] ?? '',
  };
}
