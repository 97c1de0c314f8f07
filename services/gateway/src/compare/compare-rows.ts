import type { RunContext } from '../../../../libs/events/src/run.events';

export type ComparisonSection = 'attribute' | 'param' | 'tag' | 'metric' | 'context' | 'input';

/** One line of a side-by-side comparison: a value per run (null: the run has none), and whether they differ. */
export interface ComparisonRow {
  section: ComparisonSection;
  key: string;
  values: (string | null)[];
  differs: boolean;
}

/** What is compared of one run, already read. */
export interface ComparedRun {
  attributes: Record<string, string | null>;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Last values, as text (NaN and ±Infinity spelled out). */
  metrics: Record<string, string>;
  context: RunContext | null;
  /** Input name → its digests (several when a run read more than one version under one name). */
  inputs: Record<string, string>;
}

/**
 * The rows of a comparison, section by section, keys sorted within each: every key any run has, so a key only
 * some runs have shows (and differs). Context is flattened to dotted keys (code.commit, hardware.cpuCount…).
 */
export function comparisonRows(runs: readonly ComparedRun[]): ComparisonRow[] {
  const sections: [ComparisonSection, (run: ComparedRun) => Record<string, string | null>][] = [
    ['attribute', (run) => run.attributes],
    ['param', (run) => run.params],
    ['tag', (run) => run.tags],
    ['metric', (run) => run.metrics],
    ['context', (run) => flattenContext(run.context)],
    ['input', (run) => run.inputs],
  ];
  const rows: ComparisonRow[] = [];
  for (const [section, valuesOf] of sections) {
    const perRun = runs.map(valuesOf);
    const keys = [...new Set(perRun.flatMap((values) => Object.keys(values)))].sort();
    for (const key of keys) {
      // Own keys only: a key named `constructor` or `toString` that a run lacks is null, not Object's.
      const values = perRun.map((values) => (Object.hasOwn(values, key) ? (values[key] ?? null) : null));
      rows.push({ section, key, values, differs: values.some((value) => value !== values[0]) });
    }
  }
  return rows;
}

/** `{ code: { commit: 'a' }, seeds: { torch: 1 } }` → `{ 'code.commit': 'a', 'seeds.torch': '1' }`; lists as JSON. */
export function flattenContext(context: RunContext | null): Record<string, string> {
  const flat: Record<string, string> = Object.create(null) as Record<string, string>;
  const walk = (value: unknown, path: string) => {
    if (value === undefined || value === null) return;
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
      return;
    }
    flat[path] = typeof value === 'string' ? value : JSON.stringify(value);
  };
  walk(context, '');
  return flat;
}
