import type { ClickhouseReader } from '../ports';

/**
 * The workspaces a read may see: every one, or these (none at all for a principal without a read grant). Rows of
 * another workspace are left out in the query itself, so a list's limit counts only what the reader may see and
 * an id of another workspace answers exactly as an id that names nothing.
 */
export type ReadScope = 'all' | readonly string[];

/** A WHERE condition on a `workspace` column and its parameter; `1` for every workspace. */
export function scopeCondition(
  scope: ReadScope,
  column = 'workspace',
): { sql: string; params: Record<string, unknown> } {
  if (scope === 'all') return { sql: '1', params: {} };
  if (scope.length === 0) return { sql: '0', params: {} };
  return { sql: `${column} IN {readScope:Array(String)}`, params: { readScope: scope } };
}

export function inReadScope(scope: ReadScope, workspace: string): boolean {
  return scope === 'all' || scope.includes(workspace);
}

/** Of these run ids, the ones of runs the scope sees, in one query (none asked when the scope is every workspace). */
export async function visibleRunIds(
  reader: ClickhouseReader,
  runIds: readonly string[],
  scope: ReadScope,
): Promise<Set<string>> {
  if (scope === 'all') return new Set(runIds);
  if (runIds.length === 0 || scope.length === 0) return new Set();
  const condition = scopeCondition(scope);
  const found = await reader.query<{ runId: string }>({
    name: 'visibleRunIds',
    sql: `SELECT run_id AS runId FROM ${reader.database}.runs FINAL
     WHERE run_id IN {runIds:Array(String)} AND ${condition.sql}`,
    params: { runIds, ...condition.params },
  });
  return new Set(found.map((row) => String(row.runId)));
}
