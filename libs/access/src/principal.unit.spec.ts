import {
  ACCESS_ROLES,
  ALL_WORKSPACES,
  can,
  defaultWorkspaceOf,
  inScope,
  localOwner,
  readScopeOf,
  rolesGrant,
  rolesIn,
  type AccessRole,
  type Permission,
  type Principal,
} from './principal';

function principal(grants: Record<string, AccessRole[]>): Principal {
  return { name: 'alice', kind: 'jwt', grants, mayActOnBehalf: false };
}

/** What each role may do, as the issue defines them (approver is beside writer; admin holds everything). */
const HELD: Record<AccessRole, Permission[]> = {
  viewer: ['public', 'read'],
  writer: ['public', 'read', 'write'],
  approver: ['public', 'read', 'approve'],
  admin: ['public', 'read', 'write', 'approve', 'admin'],
};
const ROLE_PERMISSIONS: Permission[] = ['public', 'read', 'write', 'approve', 'admin'];

describe('rolesIn', () => {
  it('unions the roles of the workspace with those granted in every workspace, once each', () => {
    const p = principal({ [ALL_WORKSPACES]: ['viewer'], a: ['viewer', 'writer'], b: ['approver'] });
    expect(rolesIn(p, 'a').sort()).toEqual(['viewer', 'writer']);
    expect(rolesIn(p, 'b').sort()).toEqual(['approver', 'viewer']);
    expect(rolesIn(p, 'elsewhere')).toEqual(['viewer']);
  });

  it('gives no role in a workspace the principal was not granted', () => {
    expect(rolesIn(principal({ a: ['admin'] }), 'b')).toEqual([]);
    expect(rolesIn(principal({}), 'a')).toEqual([]);
  });

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])(
    'takes a workspace named like an Object method (%s) as a workspace, not a prototype member',
    (workspace) => {
      expect(rolesIn(principal({ a: ['admin'] }), workspace)).toEqual([]);
      expect(can(principal({ a: ['admin'] }), 'read', workspace)).toBe(false);
      expect(rolesIn(principal({ [workspace]: ['writer'] }), workspace)).toEqual(['writer']);
    },
  );
});

describe('can', () => {
  describe.each(ACCESS_ROLES.map((role) => [role]))('a %s', (role) => {
    it.each(ROLE_PERMISSIONS.map((permission) => [permission]))(
      '%s in its own workspace only',
      (permission) => {
        const p = principal({ mine: [role] });
        expect(can(p, permission, 'mine')).toBe(HELD[role].includes(permission));
        expect(can(p, permission, 'other')).toBe(permission === 'public');
      },
    );

    it.each(ROLE_PERMISSIONS.map((permission) => [permission]))(
      '%s in every workspace when granted under "*"',
      (permission) => {
        const p = principal({ [ALL_WORKSPACES]: [role] });
        expect(can(p, permission, 'any-one')).toBe(HELD[role].includes(permission));
      },
    );
  });

  it('needs no role at all for public', () => {
    expect(can(principal({}), 'public', 'a')).toBe(true);
    expect(rolesGrant([], 'public')).toBe(true);
    expect(rolesGrant([], 'read')).toBe(false);
  });

  it('adds the roles of both grants: approver in "*" and writer in one workspace', () => {
    const p = principal({ [ALL_WORKSPACES]: ['approver'], a: ['writer'] });
    expect(can(p, 'write', 'a')).toBe(true);
    expect(can(p, 'approve', 'a')).toBe(true);
    expect(can(p, 'write', 'b')).toBe(false);
    expect(can(p, 'admin', 'a')).toBe(false);
  });
});

describe('readScopeOf', () => {
  it('is all for a role granted in every workspace', () => {
    for (const role of ACCESS_ROLES) expect(readScopeOf(principal({ [ALL_WORKSPACES]: [role] }))).toBe('all');
    expect(readScopeOf(localOwner('me'))).toBe('all');
  });

  it('lists, sorted, the workspaces where some role is held, and none where the list is empty', () => {
    const p = principal({ zeta: ['viewer'], alpha: ['approver'], mid: ['writer'], none: [] });
    expect(readScopeOf(p)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('is an empty list (sees nothing) without grants, and an empty "*" adds nothing', () => {
    expect(readScopeOf(principal({}))).toEqual([]);
    expect(readScopeOf(principal({ [ALL_WORKSPACES]: [], a: ['viewer'] }))).toEqual(['a']);
  });
});

describe('inScope', () => {
  it('lets all see any workspace and a list only its own', () => {
    expect(inScope('all', 'x')).toBe(true);
    expect(inScope(['a', 'b'], 'b')).toBe(true);
    expect(inScope(['a', 'b'], 'c')).toBe(false);
    expect(inScope([], 'a')).toBe(false);
  });

  it('agrees with readScopeOf: a principal reads exactly where it may read', () => {
    const p = principal({ a: ['viewer'], b: ['approver'] });
    for (const workspace of ['a', 'b', 'c']) {
      expect(inScope(readScopeOf(p), workspace)).toBe(can(p, 'read', workspace));
    }
  });
});

describe('defaultWorkspaceOf', () => {
  it("is the principal's one workspace", () => {
    expect(defaultWorkspaceOf(principal({ team: ['writer'] }))).toBe('team');
  });

  it('is default with several workspaces, none, or a grant in every workspace', () => {
    expect(defaultWorkspaceOf(principal({ a: ['writer'], b: ['viewer'] }))).toBe('default');
    expect(defaultWorkspaceOf(principal({}))).toBe('default');
    expect(defaultWorkspaceOf(principal({ [ALL_WORKSPACES]: ['admin'] }))).toBe('default');
    expect(defaultWorkspaceOf(principal({ [ALL_WORKSPACES]: ['viewer'], team: ['writer'] }))).toBe('default');
  });
});

describe('localOwner', () => {
  it('is an admin of every workspace who may act on behalf of others, under the given name', () => {
    const owner = localOwner('laptop-user');
    expect(owner).toEqual({
      name: 'laptop-user',
      kind: 'local',
      grants: { [ALL_WORKSPACES]: ['admin'] },
      mayActOnBehalf: true,
    });
    expect(can(owner, 'admin', 'anything')).toBe(true);
  });
});
