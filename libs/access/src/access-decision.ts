import type {
  DocumentNode,
  FragmentDefinitionNode,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { GRAPHQL_PERMISSIONS, type SurfacePermission } from './permissions';
import { ALL_WORKSPACES, can, readScopeOf, rolesGrant, type Principal } from './principal';

export type AccessDecision = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

const ALLOWED: AccessDecision = { allowed: true };

/**
 * The edge's answer for one surface: public ones pass, the rest need a principal, and a role permission needs a
 * workspace where the principal holds it (`workspace` given: that one; else any). Whether the principal holds it
 * on the very run or experiment a request names is decided where the target is read (its workspace is there), and
 * a target it may not read answers as unknown.
 */
export function decideAccess(
  permission: SurfacePermission | undefined,
  principal: Principal,
  options: { documents: 'public' | 'protected'; workspace?: string; surface: string },
): AccessDecision {
  if (permission === undefined) {
    return {
      allowed: false,
      status: 403,
      message: `${options.surface} has no entry in the permissions table`,
    };
  }
  if (permission === 'public' || (permission === 'documents' && options.documents === 'public'))
    return ALLOWED;
  if (principal.kind === 'anonymous') {
    return {
      allowed: false,
      status: 401,
      message: `${options.surface} needs a credential: send Authorization: Bearer <token>`,
    };
  }
  if (permission === 'authenticated') return ALLOWED;
  if (permission === 'operator') {
    if (can(principal, 'admin', ALL_WORKSPACES)) return ALLOWED;
    return {
      allowed: false,
      status: 403,
      message: `${options.surface} acts on every workspace: it needs admin of "*", which ${principal.name} does not hold`,
    };
  }
  const needed = permission === 'documents' ? 'read' : permission;
  const held =
    options.workspace !== undefined
      ? can(principal, needed, options.workspace)
      : needed === 'read'
        ? readScopeOf(principal).length !== 0
        : Object.values(principal.grants).some((roles) => rolesGrant(roles, needed));
  if (held) return ALLOWED;
  const where = options.workspace !== undefined ? `workspace "${options.workspace}"` : 'any workspace';
  return {
    allowed: false,
    status: 403,
    message: `${options.surface} needs the ${needed} permission, which ${principal.name} does not hold in ${where}`,
  };
}

/** The root fields an operation selects, through fragments, as `Query.run`, `Subscription.metricPoints`. */
export function rootFieldsOf(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
  }
  const type =
    operation.operation === 'query'
      ? 'Query'
      : operation.operation === 'mutation'
        ? 'Mutation'
        : 'Subscription';
  const fields = new Set<string>();
  const seen = new Set<string>();
  const walk = (selections: SelectionSetNode) => {
    for (const selection of selections.selections) {
      if (selection.kind === 'Field') fields.add(`${type}.${selection.name.value}`);
      else if (selection.kind === 'InlineFragment') walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return [...fields];
}

/** Every root field of the operation must be allowed, so a refused operation runs nothing at all. */
export function decideOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  principal: Principal,
  documents: 'public' | 'protected',
): AccessDecision {
  for (const field of rootFieldsOf(document, operation)) {
    const decision = decideAccess(GRAPHQL_PERMISSIONS[field], principal, { documents, surface: field });
    if (!decision.allowed) return decision;
  }
  return ALLOWED;
}
