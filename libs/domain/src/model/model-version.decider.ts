import type { ModelEvent } from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';
import { NotFoundError } from '../errors';
import { deletedVersionsOf, versionTags, type LiveModelState } from './model.state';

/** The commands on one version's own record (its promotions are the model decider's). */
export type ModelVersionCommand =
  | { type: 'SetVersionTags'; data: { version: number; tags: Record<string, string> } }
  | { type: 'DeleteVersionTags'; data: { version: number; keys: string[] } }
  | { type: 'DescribeVersion'; data: { version: number; description: string } }
  | { type: 'DeleteVersion'; data: { version: number; reason: string } };

type Decided = DomainEvent<ModelEvent>[];

export function requireVersion(state: LiveModelState, version: number, field = 'version'): void {
  if (!state.versions[String(version)]) {
    const deleted = Object.hasOwn(deletedVersionsOf(state), String(version));
    throw new NotFoundError(
      `model "${state.name}" has no version ${version}${deleted ? ' (it was deleted)' : ''}`,
      field,
    );
  }
}

/**
 * A version's own record: tags and description set, tags deleted, the version deleted. Setting what is already so
 * decides nothing. A deleted version first loses the aliases that point at it, each an audited alias_deleted.
 */
export function decideVersion(state: LiveModelState, command: ModelVersionCommand): Decided {
  const { version } = command.data;
  requireVersion(state, version);
  const current = state.versions[String(version)];
  const tags = versionTags(current);
  switch (command.type) {
    case 'SetVersionTags': {
      const changed = Object.entries(command.data.tags).filter(
        ([key, value]) => !Object.hasOwn(tags, key) || tags[key] !== value,
      );
      return changed.length === 0
        ? []
        : [{ type: 'model.version_tags_set', v: 1, payload: { version, tags: Object.fromEntries(changed) } }];
    }
    case 'DeleteVersionTags': {
      const keys = [...new Set(command.data.keys)].filter((key) => Object.hasOwn(tags, key));
      return keys.length === 0
        ? []
        : [{ type: 'model.version_tags_deleted', v: 1, payload: { version, keys } }];
    }
    case 'DescribeVersion':
      return current.description === command.data.description
        ? []
        : [
            {
              type: 'model.version_described',
              v: 1,
              payload: { version, description: command.data.description },
            },
          ];
    case 'DeleteVersion': {
      // Within the 8,000 characters an event's reason holds, counted as its schema counts them (code points).
      const reason = Array.from(`version ${version} deleted: ${command.data.reason}`).slice(0, 8000).join('');
      const aliases: Decided = Object.keys(state.aliases)
        .filter((alias) => state.aliases[alias] === version)
        .sort()
        .map((alias) => ({
          type: 'model.alias_deleted',
          v: 1,
          payload: { alias, previousVersion: version, reason },
        }));
      return [
        ...aliases,
        {
          type: 'model.version_deleted',
          v: 1,
          payload: { version, stage: current.stage, reason: command.data.reason },
        },
      ];
    }
  }
}
