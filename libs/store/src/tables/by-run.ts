/** Rows of several runs, each run's in the order read, without their run id. */
export function groupByRun<T extends { runId: string }>(rows: readonly T[]): Map<string, Omit<T, 'runId'>[]> {
  const byRun = new Map<string, Omit<T, 'runId'>[]>();
  for (const { runId, ...row } of rows) {
    const list = byRun.get(runId) ?? [];
    list.push(row);
    byRun.set(runId, list);
  }
  return byRun;
}
