import { rolesGrant, type SurfacePermission } from '../../libs/access/src';
import { CALLERS, type Caller } from './authz-client';
import type { Workspace } from './authz-fixtures';

/**
 * What a row expects. `ok`: its normal 2xx answer. `unauthenticated`: 401 (no credential). `forbidden`: 403, and
 * `edge` when the caller's role grants the permission in no workspace at all (the route guard refuses it, naming
 * `authorization`). `as-unknown`: exactly the answer the same request gets for an id that names nothing.
 */
export type Expectation =
  | { kind: 'ok' }
  | { kind: 'unauthenticated' }
  | { kind: 'forbidden'; edge: boolean }
  | { kind: 'as-unknown' };

export interface Row {
  /** The table key: 'POST /api/v1/runs/:runId/metrics', 'Query.run'. */
  surface: string;
  caller: Caller;
  /** `any` for a surface that names nothing in a workspace. */
  workspace: Workspace | 'any';
  expected: Expectation;
}

/**
 * The expected answer from the permissions table alone: public and (public) documents answer everyone; anything
 * else needs a credential; `authenticated` any token; a role permission a role that grants it, in the workspace
 * of the target. The other workspace's targets answer as unknown ids, or are refused where the request creates
 * something in that workspace (`otherRefused`).
 */
export function expectationOf(
  permission: SurfacePermission,
  caller: Caller,
  workspace: Workspace | 'any',
  otherRefused: boolean,
): Expectation {
  if (permission === 'public' || permission === 'documents') return { kind: 'ok' };
  if (caller === 'anonymous') return { kind: 'unauthenticated' };
  // Admin of every workspace: no role token of the matrix is one.
  if (permission === 'operator') return { kind: 'forbidden', edge: true };
  if (permission !== 'authenticated' && !rolesGrant([caller], permission))
    return { kind: 'forbidden', edge: true };
  if (workspace !== 'other') return { kind: 'ok' };
  return otherRefused ? { kind: 'forbidden', edge: false } : { kind: 'as-unknown' };
}

/**
 * Every surface of the table × every caller × own and other workspace (one row for a surface that names nothing
 * there). A surface without a case gets one row per caller, which fails for want of a case.
 */
export function matrixRows(
  permissions: Readonly<Record<string, SurfacePermission>>,
  cases: Readonly<Record<string, { scope: 'global' | 'scoped'; other?: string }>>,
  skip: (surface: string) => boolean = () => false,
): Row[] {
  return Object.entries(permissions)
    .filter(([surface]) => !skip(surface))
    .flatMap(([surface, permission]) => {
      const found = cases[surface];
      const workspaces: (Workspace | 'any')[] = found?.scope === 'scoped' ? ['own', 'other'] : ['any'];
      return CALLERS.flatMap((caller) =>
        workspaces.map((workspace) => ({
          surface,
          caller,
          workspace,
          expected: expectationOf(permission, caller, workspace, found?.other === 'forbidden'),
        })),
      );
    });
}

export function describeExpectation(expected: Expectation): string {
  switch (expected.kind) {
    case 'ok':
      return '2xx';
    case 'unauthenticated':
      return '401';
    case 'forbidden':
      return expected.edge ? '403 at the edge' : '403 in that workspace';
    case 'as-unknown':
      return 'as an unknown id';
  }
}

/** The rows as test.each tables: [title, row], the title naming surface, caller, workspace and expectation. */
export function titled(rows: readonly Row[]): [string, Row][] {
  return rows.map((row) => [
    `${row.surface} | ${row.caller} | ${row.workspace} → ${describeExpectation(row.expected)}`,
    row,
  ]);
}
