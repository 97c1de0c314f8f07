/**
 * Who makes a request, and what it may do where. Roles: viewer (read) ⊂ writer (log runs, metrics, artifacts) ⊂
 * admin (tokens, delete/restore, archive, retention, re-projection); approver (promotions) is beside them, and
 * an admin holds it too.
 */
export const ACCESS_ROLES = ['viewer', 'writer', 'approver', 'admin'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** What a route or GraphQL field needs; `public` needs no credential at all. */
export const PERMISSIONS = ['public', 'read', 'write', 'approve', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTED_BY: Record<AccessRole, readonly Permission[]> = {
  viewer: ['read'],
  writer: ['read', 'write'],
  approver: ['read', 'approve'],
  admin: ['read', 'write', 'approve', 'admin'],
};

/** Every workspace: the local owner and the bootstrap token hold their roles here. */
export const ALL_WORKSPACES = '*';

export type PrincipalKind = 'local' | 'bootstrap' | 'token' | 'jwt' | 'anonymous';

export interface Principal {
  /** Stamped as the `actor` of every event the principal's requests append. */
  readonly name: string;
  readonly kind: PrincipalKind;
  /** The API token that authenticated it (`kind: 'token'`), for rate limits and revocation. */
  readonly tokenId?: string;
  /** Roles per workspace; the key `*` grants them in every workspace. */
  readonly grants: Readonly<Record<string, readonly AccessRole[]>>;
  /** May record a client's `x-runlog-actor` as `onBehalfOf` (a service acting for its users). */
  readonly mayActOnBehalf: boolean;
}

/** Workspaces a read may see: `all`, or the listed ones (an empty list sees nothing). */
export type WorkspaceScope = 'all' | readonly string[];

/** A workspace's own grant: `constructor` or `toString` are valid workspace names, not Object's members. */
function grantIn(principal: Principal, workspace: string): readonly AccessRole[] {
  return Object.hasOwn(principal.grants, workspace) ? principal.grants[workspace] : [];
}

export function rolesIn(principal: Principal, workspace: string): AccessRole[] {
  const roles = new Set<AccessRole>([
    ...grantIn(principal, ALL_WORKSPACES),
    ...grantIn(principal, workspace),
  ]);
  return [...roles];
}

export function rolesGrant(roles: readonly AccessRole[], permission: Permission): boolean {
  return permission === 'public' || roles.some((role) => GRANTED_BY[role].includes(permission));
}

export function can(principal: Principal, permission: Permission, workspace: string): boolean {
  return rolesGrant(rolesIn(principal, workspace), permission);
}

/** The workspaces whose data the principal may read. */
export function readScopeOf(principal: Principal): WorkspaceScope {
  if (rolesGrant(principal.grants[ALL_WORKSPACES] ?? [], 'read')) return 'all';
  return Object.entries(principal.grants)
    .filter(([workspace, roles]) => workspace !== ALL_WORKSPACES && rolesGrant(roles, 'read'))
    .map(([workspace]) => workspace)
    .sort();
}

export function inScope(scope: WorkspaceScope, workspace: string): boolean {
  return scope === 'all' || scope.includes(workspace);
}

/** The owner of a Runlog on the loopback address with no authentication configured: admin of every workspace. */
export function localOwner(name: string): Principal {
  return { name, kind: 'local', grants: { [ALL_WORKSPACES]: ['admin'] }, mayActOnBehalf: true };
}

/** Where a request without `x-runlog-workspace` acts: the principal's one workspace, else `default`. */
export function defaultWorkspaceOf(principal: Principal): string {
  const named = Object.keys(principal.grants).filter((workspace) => workspace !== ALL_WORKSPACES);
  return named.length === 1 && principal.grants[ALL_WORKSPACES] === undefined ? named[0] : 'default';
}
