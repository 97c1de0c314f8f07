import { parse, type OperationDefinitionNode } from 'graphql';
import { decideAccess, decideOperation, rootFieldsOf, type AccessDecision } from './access-decision';
import { ANONYMOUS } from './authenticator';
import { ROUTE_PERMISSIONS, routeKey, type SurfacePermission } from './permissions';
import { ACCESS_ROLES, ALL_WORKSPACES, localOwner, type AccessRole, type Principal } from './principal';

function holder(grants: Record<string, AccessRole[]>, name = 'ada'): Principal {
  return { name, kind: 'token', tokenId: '0123456789abcdef', grants, mayActOnBehalf: false };
}
const NOBODY = holder({}, 'nobody');

/** The role permissions each role holds (the definition; approver is beside writer). */
const HOLDS: Record<AccessRole, string[]> = {
  viewer: ['read'],
  writer: ['read', 'write'],
  approver: ['read', 'approve'],
  admin: ['read', 'write', 'approve', 'admin'],
};
const ROLE_PERMISSIONS = ['read', 'write', 'approve', 'admin'] as const;

const decide = (
  permission: SurfacePermission | undefined,
  principal: Principal,
  options: { documents?: 'public' | 'protected'; workspace?: string } = {},
): AccessDecision =>
  decideAccess(permission, principal, { documents: 'public', surface: 'POST /x', ...options });
const allowed = { allowed: true };
const status = (decision: AccessDecision) => (decision.allowed ? 200 : decision.status);

describe('decideAccess', () => {
  it('refuses a surface missing from the table (403), even to the local owner: fail closed', () => {
    for (const principal of [localOwner('me'), holder({ [ALL_WORKSPACES]: ['admin'] }), ANONYMOUS]) {
      expect(decide(undefined, principal)).toEqual({
        allowed: false,
        status: 403,
        message: 'POST /x has no entry in the permissions table',
      });
    }
  });

  it('lets anyone, anonymous included, through a public surface', () => {
    for (const principal of [ANONYMOUS, NOBODY, holder({ a: ['viewer'] })]) {
      expect(decide('public', principal)).toEqual(allowed);
      expect(decide('public', principal, { workspace: 'a', documents: 'protected' })).toEqual(allowed);
    }
  });

  it('lets any principal, with or without roles, through an authenticated surface; anonymous is 401', () => {
    expect(decide('authenticated', NOBODY)).toEqual(allowed);
    expect(decide('authenticated', NOBODY, { workspace: 'a' })).toEqual(allowed);
    expect(decide('authenticated', localOwner('me'))).toEqual(allowed);
    const refused = decide('authenticated', ANONYMOUS);
    expect(refused).toMatchObject({ allowed: false, status: 401 });
    expect(refused.allowed || refused.message).toMatch(
      /POST \/x needs a credential: send Authorization: Bearer/,
    );
  });

  describe('the documents', () => {
    it('are public unless protected', () => {
      expect(decide('documents', ANONYMOUS, { documents: 'public' })).toEqual(allowed);
      expect(decide('documents', NOBODY, { documents: 'public' })).toEqual(allowed);
    });

    it('need the read permission somewhere when protected: 401 anonymous, 403 without a role', () => {
      expect(status(decide('documents', ANONYMOUS, { documents: 'protected' }))).toBe(401);
      expect(status(decide('documents', NOBODY, { documents: 'protected' }))).toBe(403);
      for (const role of ACCESS_ROLES) {
        expect(decide('documents', holder({ b: [role] }), { documents: 'protected' })).toEqual(allowed);
        expect(
          status(decide('documents', holder({ b: [role] }), { documents: 'protected', workspace: 'a' })),
        ).toBe(403);
      }
    });
  });

  describe.each(ROLE_PERMISSIONS.map((permission) => [permission]))('the %s permission', (permission) => {
    it('is 401 for anonymous and 403 for a principal without roles, in a workspace or not', () => {
      for (const options of [{}, { workspace: 'a' }]) {
        expect(status(decide(permission, ANONYMOUS, options))).toBe(401);
        expect(status(decide(permission, NOBODY, options))).toBe(403);
      }
    });

    it.each(ACCESS_ROLES.map((role) => [role]))('is held by a %s as the role table says', (role) => {
      const expected = HOLDS[role].includes(permission) ? 200 : 403;
      // In its own workspace, in every workspace ("*"), and in "any workspace" when none is named.
      expect(status(decide(permission, holder({ a: [role] }), { workspace: 'a' }))).toBe(expected);
      expect(status(decide(permission, holder({ [ALL_WORKSPACES]: [role] }), { workspace: 'a' }))).toBe(
        expected,
      );
      expect(status(decide(permission, holder({ b: [role] })))).toBe(expected);
      // Never in a workspace where it holds no role.
      expect(status(decide(permission, holder({ b: [role] }), { workspace: 'a' }))).toBe(403);
    });

    it('says who lacks what, where', () => {
      const decision = decide(permission, holder({ b: ['viewer'] }, 'ada'), { workspace: 'a' });
      expect(decision).toEqual({
        allowed: false,
        status: 403,
        message: `POST /x needs the ${permission} permission, which ada does not hold in workspace "a"`,
      });
      const anywhere = decide(permission, NOBODY);
      expect(anywhere.allowed || anywhere.message).toMatch(/does not hold in any workspace$/);
    });
  });

  it('gives the local owner every permission in every workspace', () => {
    for (const permission of ROLE_PERMISSIONS) {
      expect(decide(permission, localOwner('me'), { workspace: 'anything' })).toEqual(allowed);
      expect(decide(permission, localOwner('me'))).toEqual(allowed);
    }
  });
});

function operationOf(source: string, name?: string) {
  const document = parse(source);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === 'OperationDefinition' && (name === undefined || d.name?.value === name),
  );
  if (!operation) throw new Error('no such operation');
  return { document, operation };
}

const rootFields = (source: string, name?: string) => {
  const { document, operation } = operationOf(source, name);
  return rootFieldsOf(document, operation).sort();
};

describe('rootFieldsOf', () => {
  it('names the root fields by their type, not by their alias', () => {
    expect(rootFields('{ run(id: "r") { id } whoami: runs { total } }')).toEqual(['Query.run', 'Query.runs']);
    expect(rootFields('mutation { deleteRun(id: "r") }')).toEqual(['Mutation.deleteRun']);
    expect(rootFields('subscription { metricPoints(runId: "r") { step } }')).toEqual([
      'Subscription.metricPoints',
    ]);
  });

  it('does not count fields nested under a root field', () => {
    expect(rootFields('{ run(id: "r") { experiment { id } whoami } }')).toEqual(['Query.run']);
  });

  it('follows named, inline and nested fragments', () => {
    const source = `
      query Q { ...Outer ... on Query { inlineField ... { deepInline } } }
      fragment Outer on Query { outerField ...Inner }
      fragment Inner on Query { innerField ... on Query { innerInline } }
      fragment Unused on Query { unusedField }`;
    expect(rootFields(source)).toEqual([
      'Query.deepInline',
      'Query.inlineField',
      'Query.innerField',
      'Query.innerInline',
      'Query.outerField',
    ]);
  });

  it('terminates on cyclic fragment spreads and still collects their fields', () => {
    const source = `
      query { ...A }
      fragment A on Query { a ...B }
      fragment B on Query { b ...A ...Self }
      fragment Self on Query { self ...Self }`;
    expect(rootFields(source)).toEqual(['Query.a', 'Query.b', 'Query.self']);
  });

  it('reads only the operation asked about in a document holding several', () => {
    const source = 'query One { run(id: "r") { id } } query Two { deadLetters { total } }';
    expect(rootFields(source, 'Two')).toEqual(['Query.deadLetters']);
  });
});

describe('decideOperation', () => {
  const decideOp = (source: string, principal: Principal, documents: 'public' | 'protected' = 'public') => {
    const { document, operation } = operationOf(source);
    return decideOperation(document, operation, principal, documents);
  };
  const viewer = holder({ team: ['viewer'] });

  it('allows an operation whose every root field the principal may use', () => {
    expect(decideOp('{ run(id: "r") { id } runs { total } whoami { name } }', viewer)).toEqual(allowed);
  });

  it('refuses the whole operation when one root field is refused, and names that field', () => {
    const decision = decideOp('{ whoami { name } ...F } fragment F on Query { runs { total } }', NOBODY);
    expect(decision).toMatchObject({ allowed: false, status: 403 });
    expect(decision.allowed || decision.message).toMatch(/^Query\.runs needs the read permission/);
    expect(status(decideOp('{ whoami { name } }', NOBODY))).toBe(200);
  });

  it('refuses a root field missing from the permissions table, even to the local owner', () => {
    for (const source of ['{ run(id: "r") { id } notInTheTable }', 'mutation { deleteRun(id: "r") }']) {
      const decision = decideOp(source, localOwner('me'));
      expect(decision).toMatchObject({ allowed: false, status: 403 });
      expect(decision.allowed || decision.message).toMatch(/has no entry in the permissions table$/);
    }
  });

  it('is 401 for anonymous on anything but the public documents', () => {
    expect(status(decideOp('{ runs { total } }', ANONYMOUS))).toBe(401);
    expect(status(decideOp('{ __typename }', ANONYMOUS))).toBe(401);
    expect(decideOp('{ __schema { types { name } } }', ANONYMOUS)).toEqual(allowed);
    expect(status(decideOp('{ __schema { types { name } } }', ANONYMOUS, 'protected'))).toBe(401);
    expect(decideOp('{ __type(name: "Run") { name } }', viewer, 'protected')).toEqual(allowed);
  });

  it('checks subscriptions against their Subscription entries', () => {
    expect(decideOp('subscription { runStatusChanged(runId: "r") { status } }', viewer)).toEqual(allowed);
    expect(status(decideOp('subscription { runStatusChanged(runId: "r") { status } }', NOBODY))).toBe(403);
  });
});

describe('the permissions table', () => {
  it('keys routes by upper-case method and path, as the guard looks them up', () => {
    expect(routeKey('get', '/api/v1/whoami')).toBe('GET /api/v1/whoami');
    expect(ROUTE_PERMISSIONS[routeKey('delete', '/api/v1/runs/:runId')]).toBe('admin');
  });
});
