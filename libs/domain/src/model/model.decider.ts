import {
  HELD_STAGES,
  type ApprovalPolicy,
  type ModelEvent,
  type ModelStage,
  type PromotionTarget,
  type UsedApproval,
} from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';
import {
  ApprovalRequiredError,
  ForbiddenError,
  IllegalTransition,
  NotFoundError,
  PromotionConflictError,
} from '../errors';
import { decideVersion, requireVersion, type ModelVersionCommand } from './model-version.decider';
import { holderOfStage, latestVersion, type LiveModelState, type ModelState } from './model.state';

/**
 * A promotion names the holder it expects to replace (`replaces`; absent: the stage or alias must be free), so of
 * concurrent promotions decided in log order exactly one wins and each other one sees a holder it did not expect.
 * `approvalId` names an approved request for this very version and target, needed where the policy says so.
 */
interface Promotion {
  version: number;
  replaces?: number | null;
  reason: string;
  approvalId?: string;
}

export type ModelCommand =
  | {
      type: 'CreateModel';
      data: { modelId: string; name: string; description: string; tags: Record<string, string> };
    }
  | { type: 'RenameModel'; data: { name: string } }
  | { type: 'DescribeModel'; data: { description: string } }
  | { type: 'SetModelTags'; data: { tags: Record<string, string> } }
  | { type: 'DeleteModelTags'; data: { keys: string[] } }
  | { type: 'DeleteModel'; data: { reason: string } }
  | { type: 'SetApprovalPolicy'; data: ApprovalPolicy }
  | {
      type: 'RegisterModelVersion';
      data: { runId: string; artifactPath: string; sha256: string; description: string };
    }
  | ModelVersionCommand
  | { type: 'SetAlias'; data: Promotion & { alias: string } }
  | { type: 'DeleteAlias'; data: { alias: string; reason: string } }
  | { type: 'TransitionStage'; data: Promotion & { stage: ModelStage } }
  | {
      type: 'RequestApproval';
      data: { approvalId: string; version: number; target: PromotionTarget; reason: string; actor: string };
    }
  | { type: 'ApproveRequest'; data: { approvalId: string; comment: string; actor: string } }
  | { type: 'RejectRequest'; data: { approvalId: string; comment: string; actor: string } };

type Decided = DomainEvent<ModelEvent>[];

function describeTarget(target: PromotionTarget): string {
  return target.kind === 'stage' ? `stage ${target.stage}` : `alias "${target.alias}"`;
}

function sameTarget(a: PromotionTarget, b: PromotionTarget): boolean {
  return a.kind === 'stage'
    ? b.kind === 'stage' && a.stage === b.stage
    : b.kind === 'alias' && a.alias === b.alias;
}

function needsApproval(state: LiveModelState, target: PromotionTarget): boolean {
  return target.kind === 'stage'
    ? state.policy.stages.includes(target.stage)
    : state.policy.aliases.includes(target.alias);
}

/** The holder must be the one the command expects (none, when it names none); the message names the one there. */
function expectHolder(
  state: LiveModelState,
  target: PromotionTarget,
  holder: number | null,
  promotion: Promotion,
) {
  const expected = promotion.replaces ?? null;
  if (holder === expected) return;
  const held = holder === null ? 'is free' : `is held by version ${holder}`;
  const wanted = expected === null ? 'free' : `held by version ${expected}`;
  throw new PromotionConflictError(
    `${describeTarget(target)} of model "${state.name}" ${held}; the promotion of version ${promotion.version} expected it ${wanted}`,
    'replaces',
  );
}

/** The approval a promotion brings, checked against the policy: approved, for this version and target, unused. */
function approvalFor(
  state: LiveModelState,
  target: PromotionTarget,
  promotion: Promotion,
): UsedApproval | null {
  if (promotion.approvalId === undefined) {
    if (!needsApproval(state, target)) return null;
    throw new ApprovalRequiredError(
      `model "${state.name}" needs an approved request to move version ${promotion.version} to ${describeTarget(target)}: requestApproval, then approve by another user`,
      'approvalId',
    );
  }
  const approval = state.approvals[promotion.approvalId];
  if (!approval) {
    throw new NotFoundError(
      `model "${state.name}" has no approval request ${promotion.approvalId}`,
      'approvalId',
    );
  }
  if (approval.version !== promotion.version || !sameTarget(approval.target, target)) {
    throw new ApprovalRequiredError(
      `approval request ${approval.approvalId} is for version ${approval.version} to ${describeTarget(approval.target)}, not version ${promotion.version} to ${describeTarget(target)}`,
      'approvalId',
    );
  }
  if (approval.status !== 'approved') {
    throw new ApprovalRequiredError(
      `approval request ${approval.approvalId} is ${approval.status}`,
      'approvalId',
    );
  }
  return {
    approvalId: approval.approvalId,
    requestedBy: approval.requestedBy,
    approvedBy: approval.decidedBy ?? '',
    comment: approval.comment ?? '',
  };
}

function setAlias(state: LiveModelState, data: Promotion & { alias: string }): Decided {
  requireVersion(state, data.version);
  const holder = state.aliases[data.alias] ?? null;
  if (holder === data.version) return [];
  const target: PromotionTarget = { kind: 'alias', alias: data.alias };
  expectHolder(state, target, holder, data);
  const approval = approvalFor(state, target, data);
  return [
    {
      type: 'model.alias_set',
      v: 1,
      payload: {
        alias: data.alias,
        version: data.version,
        previousVersion: holder,
        reason: data.reason,
        approval,
      },
    },
  ];
}

function transitionStage(state: LiveModelState, data: Promotion & { stage: ModelStage }): Decided {
  requireVersion(state, data.version);
  const previousStage = state.versions[String(data.version)].stage;
  if (previousStage === data.stage) return [];
  const target: PromotionTarget = { kind: 'stage', stage: data.stage };
  const held = HELD_STAGES.includes(data.stage);
  const holder = held ? holderOfStage(state, data.stage) : null;
  if (held) expectHolder(state, target, holder, data);
  const approval = approvalFor(state, target, data);
  const decided: Decided = [
    {
      type: 'model.stage_transitioned',
      v: 1,
      payload: {
        version: data.version,
        stage: data.stage,
        previousStage,
        displacedVersion: holder,
        reason: data.reason,
        approval,
      },
    },
  ];
  if (holder !== null) {
    decided.push({
      type: 'model.stage_transitioned',
      v: 1,
      payload: {
        version: holder,
        stage: 'Archived',
        previousStage: data.stage,
        displacedVersion: null,
        reason: `displaced from ${data.stage} by version ${data.version}`,
        approval: null,
      },
    });
  }
  return decided;
}

function decideApproval(
  state: LiveModelState,
  command: Extract<ModelCommand, { type: 'ApproveRequest' | 'RejectRequest' }>,
): Decided {
  const { approvalId, comment, actor } = command.data;
  const approval = state.approvals[approvalId];
  if (!approval)
    throw new NotFoundError(`model "${state.name}" has no approval request ${approvalId}`, 'approvalId');
  if (approval.status !== 'pending') {
    throw new IllegalTransition(`approval request ${approvalId} is already ${approval.status}`, 'approvalId');
  }
  if (approval.requestedBy === actor) {
    throw new ForbiddenError(
      `${actor} asked for approval request ${approvalId}: another user must decide it`,
      'approvalId',
    );
  }
  return command.type === 'ApproveRequest'
    ? [{ type: 'model.approval_granted', v: 1, payload: { approvalId, approvedBy: actor, comment } }]
    : [{ type: 'model.approval_rejected', v: 1, payload: { approvalId, rejectedBy: actor, comment } }];
}

/**
 * What a registered model accepts:
 * - absent: CreateModel only (its name is claimed first, in the name's own stream); the rest are not_found.
 * - deleted: nothing (not_found); the name is free again and a new model may take it.
 * - active: every other command. Setting what is already so (a name, a description, tags, a version's tags or
 *   description, an alias to the version it points at, a stage the version is in) decides nothing: a retry. A
 *   deleted version is not found, and its number is never given again. Promotions are decided against the holder
 *   they expect (promotion_conflict) and the model's approval policy (approval_required).
 */
export function decideModel(command: ModelCommand, state: ModelState): Decided {
  if (command.type === 'CreateModel') {
    if (state.status !== 'absent') {
      throw new IllegalTransition(`model ${command.data.modelId} already exists`, 'modelId');
    }
    return [{ type: 'model.created', v: 1, payload: { ...command.data, tags: { ...command.data.tags } } }];
  }
  if (state.status !== 'active') {
    throw new NotFoundError(
      state.status === 'deleted' ? `model "${state.name}" was deleted` : 'the model does not exist',
      'name',
    );
  }
  switch (command.type) {
    case 'RenameModel':
      return state.name === command.data.name
        ? []
        : [{ type: 'model.renamed', v: 1, payload: { name: command.data.name, previousName: state.name } }];
    case 'DescribeModel':
      return state.description === command.data.description
        ? []
        : [{ type: 'model.described', v: 1, payload: { description: command.data.description } }];
    case 'SetModelTags': {
      const changed = Object.entries(command.data.tags).filter(([key, value]) => state.tags[key] !== value);
      return changed.length === 0
        ? []
        : [{ type: 'model.tags_set', v: 1, payload: { tags: Object.fromEntries(changed) } }];
    }
    case 'DeleteModelTags': {
      const keys = [...new Set(command.data.keys)].filter((key) => key in state.tags);
      return keys.length === 0 ? [] : [{ type: 'model.tags_deleted', v: 1, payload: { keys } }];
    }
    case 'DeleteModel':
      return [{ type: 'model.deleted', v: 1, payload: { reason: command.data.reason } }];
    case 'SetApprovalPolicy': {
      // Sets, in one order: the same policy written another way decides nothing.
      const policy = {
        stages: [...new Set(command.data.stages)].sort(),
        aliases: [...new Set(command.data.aliases)].sort(),
      };
      return JSON.stringify(policy) === JSON.stringify(state.policy)
        ? []
        : [{ type: 'model.policy_set', v: 1, payload: { approvalRequired: policy } }];
    }
    case 'RegisterModelVersion':
      return [
        {
          type: 'model.version_registered',
          v: 1,
          payload: { version: latestVersion(state) + 1, ...command.data },
        },
      ];
    case 'SetVersionTags':
    case 'DeleteVersionTags':
    case 'DescribeVersion':
    case 'DeleteVersion':
      return decideVersion(state, command);
    case 'SetAlias':
      return setAlias(state, command.data);
    case 'DeleteAlias': {
      const holder = state.aliases[command.data.alias];
      if (holder === undefined) return [];
      return [{ type: 'model.alias_deleted', v: 1, payload: { ...command.data, previousVersion: holder } }];
    }
    case 'TransitionStage':
      return transitionStage(state, command.data);
    case 'RequestApproval': {
      const { approvalId, version, target, reason, actor } = command.data;
      requireVersion(state, version);
      if (state.approvals[approvalId]) {
        throw new IllegalTransition(`approval request ${approvalId} already exists`, 'approvalId');
      }
      return [
        {
          type: 'model.approval_requested',
          v: 1,
          payload: { approvalId, version, target, reason, requestedBy: actor },
        },
      ];
    }
    case 'ApproveRequest':
    case 'RejectRequest':
      return decideApproval(state, command);
  }
}
