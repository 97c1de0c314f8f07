import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation selects any of `names` inside `path` (field names from the resolved field down, through
 * fragments): a resolver skips computing what nobody asked for. Unsure (a directive may skip it) counts as selected.
 */
export function selectsAny(
  info: GraphQLResolveInfo,
  path: readonly string[],
  names: readonly string[],
): boolean {
  const visit = (set: SelectionSetNode | undefined, depth: number): boolean => {
    if (set === undefined) return false;
    return set.selections.some((selection) => {
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet, depth);
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        return visit(info.fragments[selection.name.value]?.selectionSet, depth);
      }
      const name = selection.name.value;
      if (depth === path.length) return names.includes(name);
      return name === path[depth] && visit(selection.selectionSet, depth + 1);
    });
  };
  return info.fieldNodes.some((node: FieldNode) => visit(node.selectionSet, 0));
}
