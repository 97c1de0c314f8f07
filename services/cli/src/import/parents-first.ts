/**
 * Runs in an order where each comes after the run it names as its parent (when that run is among them), so a
 * child's parent exists when the child is made; otherwise in the order given. A cycle of parents is broken where
 * it is first met.
 */
export function parentsFirst<T>(
  runs: readonly T[],
  idOf: (run: T) => string,
  parentIdOf: (run: T) => string | undefined,
): T[] {
  const byId = new Map(runs.map((run) => [idOf(run), run]));
  const ordered: T[] = [];
  const placed = new Set<T>();
  const place = (run: T, path: Set<T>) => {
    if (placed.has(run) || path.has(run)) return;
    path.add(run);
    const parentId = parentIdOf(run);
    const parent = parentId === undefined ? undefined : byId.get(parentId);
    if (parent) place(parent, path);
    placed.add(run);
    ordered.push(run);
  };
  for (const run of runs) place(run, new Set());
  return ordered;
}
