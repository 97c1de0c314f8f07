import { versionTags, type LiveModelState } from '../../../../libs/domain/src/model/model.state';
import type { ModelStage } from '../../../../libs/events/src/model-registry.events';
import { ModelStageName, type RegisteredModel } from './registry.models';

const stageName = (stage: ModelStage): ModelStageName => stage as ModelStageName;

const sortedTags = (tags: Record<string, string>) =>
  Object.keys(tags)
    .sort()
    .map((key) => ({ key, value: tags[key] }));

/** A model's folded state (from the projection or the log) as GraphQL shows it: lists in a stable order. */
export function toRegisteredModel(state: LiveModelState, workspace: string): RegisteredModel {
  const aliasesOf = new Map<number, string[]>();
  for (const [alias, version] of Object.entries(state.aliases)) {
    aliasesOf.set(version, [...(aliasesOf.get(version) ?? []), alias]);
  }
  return {
    modelId: state.modelId,
    workspace,
    name: state.name,
    description: state.description,
    status: state.status,
    tags: sortedTags(state.tags),
    approvalRequired: { stages: state.policy.stages.map(stageName), aliases: [...state.policy.aliases] },
    versions: Object.values(state.versions)
      .sort((a, b) => a.version - b.version)
      .map((version) => ({
        ...version,
        stage: stageName(version.stage),
        aliases: (aliasesOf.get(version.version) ?? []).sort(),
        tags: sortedTags(versionTags(version)),
        updatedAt: version.updatedAt ?? version.registeredAt,
      })),
    aliases: Object.keys(state.aliases)
      .sort()
      .map((alias) => ({ alias, version: state.aliases[alias] })),
    approvals: Object.values(state.approvals)
      .sort((a, b) => a.requestedAt - b.requestedAt || a.approvalId.localeCompare(b.approvalId))
      .map((approval) => ({
        approvalId: approval.approvalId,
        version: approval.version,
        stage: approval.target.kind === 'stage' ? stageName(approval.target.stage) : null,
        alias: approval.target.kind === 'alias' ? approval.target.alias : null,
        reason: approval.reason,
        requestedBy: approval.requestedBy,
        requestedAt: approval.requestedAt,
        status: approval.status,
        decidedBy: approval.decidedBy,
        decidedAt: approval.decidedAt,
        comment: approval.comment,
      })),
    createdAt: state.createdAt,
    createdBy: state.createdBy,
    updatedAt: state.updatedAt,
  };
}
