/**
 * The model registry's events (topic runlog.registry, kept forever). A registered model is one stream,
 * `model:<modelId>`: its versions, aliases, stages and approvals are decided against that stream alone, so one
 * writer deciding in log order makes every promotion of a model linearizable. A model's name is claimed in a stream
 * of its own, `name:model:<workspace>/<name>`, appended with the version it was read at: of two claims of one name
 * exactly one lands.
 */

/** MLflow's classic stages; Staging and Production are each held by at most one version at a time. */
export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];
export const HELD_STAGES: readonly ModelStage[] = ['Staging', 'Production'];

/** What a promotion moves: a stage or an alias. */
export type PromotionTarget = { kind: 'stage'; stage: ModelStage } | { kind: 'alias'; alias: string };

/** The approval a promotion used, copied into the promotion's event so its record stands alone. */
export interface UsedApproval {
  approvalId: string;
  requestedBy: string;
  approvedBy: string;
  comment: string;
}

/** Which promotions need an approval by another user than the one who asked for it. */
export interface ApprovalPolicy {
  stages: ModelStage[];
  aliases: string[];
}

export interface ModelCreated {
  type: 'model.created';
  v: 1;
  payload: { modelId: string; name: string; description: string; tags: Record<string, string> };
}

export interface ModelRenamed {
  type: 'model.renamed';
  v: 1;
  payload: { name: string; previousName: string };
}

export interface ModelDescribed {
  type: 'model.described';
  v: 1;
  payload: { description: string };
}

export interface ModelTagsSet {
  type: 'model.tags_set';
  v: 1;
  payload: { tags: Record<string, string> };
}

export interface ModelTagsDeleted {
  type: 'model.tags_deleted';
  v: 1;
  payload: { keys: string[] };
}

/** The model leaves the registry; its name is released, its history stays in the log. */
export interface ModelDeleted {
  type: 'model.deleted';
  v: 1;
  payload: { reason: string };
}

export interface ModelPolicySet {
  type: 'model.policy_set';
  v: 1;
  payload: { approvalRequired: ApprovalPolicy };
}

/** A version made from a run's artifact: the run, the artifact's path in it and the sha256 of its bytes. */
export interface ModelVersionRegistered {
  type: 'model.version_registered';
  v: 1;
  payload: { version: number; runId: string; artifactPath: string; sha256: string; description: string };
}

/** A version's tags changed (set: the keys given, with their new values; deleted: the keys removed). */
export interface ModelVersionTagsSet {
  type: 'model.version_tags_set';
  v: 1;
  payload: { version: number; tags: Record<string, string> };
}

export interface ModelVersionTagsDeleted {
  type: 'model.version_tags_deleted';
  v: 1;
  payload: { version: number; keys: string[] };
}

export interface ModelVersionDescribed {
  type: 'model.version_described';
  v: 1;
  payload: { version: number; description: string };
}

/**
 * A version leaves the registry: its number is never given again, its history stays in the log. The aliases that
 * pointed at it are removed by `model.alias_deleted` events of the same append, before this one; `stage` is the one
 * it held.
 */
export interface ModelVersionDeleted {
  type: 'model.version_deleted';
  v: 1;
  payload: { version: number; stage: ModelStage; reason: string };
}

/** `previousVersion`: the version the alias pointed at before (null when it was free). */
export interface ModelAliasSet {
  type: 'model.alias_set';
  v: 1;
  payload: {
    alias: string;
    version: number;
    previousVersion: number | null;
    reason: string;
    approval: UsedApproval | null;
  };
}

export interface ModelAliasDeleted {
  type: 'model.alias_deleted';
  v: 1;
  payload: { alias: string; previousVersion: number; reason: string };
}

/**
 * A version moved to a stage. `displacedVersion`: the version that held the stage before (Staging and Production
 * have one holder); its own move to Archived is the next event of the same append.
 */
export interface ModelStageTransitioned {
  type: 'model.stage_transitioned';
  v: 1;
  payload: {
    version: number;
    stage: ModelStage;
    previousStage: ModelStage;
    displacedVersion: number | null;
    reason: string;
    approval: UsedApproval | null;
  };
}

export interface ModelApprovalRequested {
  type: 'model.approval_requested';
  v: 1;
  payload: {
    approvalId: string;
    version: number;
    target: PromotionTarget;
    reason: string;
    requestedBy: string;
  };
}

export interface ModelApprovalGranted {
  type: 'model.approval_granted';
  v: 1;
  payload: { approvalId: string; approvedBy: string; comment: string };
}

export interface ModelApprovalRejected {
  type: 'model.approval_rejected';
  v: 1;
  payload: { approvalId: string; rejectedBy: string; comment: string };
}

export type ModelEvent =
  | ModelCreated
  | ModelRenamed
  | ModelDescribed
  | ModelTagsSet
  | ModelTagsDeleted
  | ModelDeleted
  | ModelPolicySet
  | ModelVersionRegistered
  | ModelVersionTagsSet
  | ModelVersionTagsDeleted
  | ModelVersionDescribed
  | ModelVersionDeleted
  | ModelAliasSet
  | ModelAliasDeleted
  | ModelStageTransitioned
  | ModelApprovalRequested
  | ModelApprovalGranted
  | ModelApprovalRejected;

/** A name taken by `holder` (a model or experiment id) in its workspace; released when renamed away or deleted. */
export interface NameClaimed {
  type: 'name.claimed';
  v: 1;
  payload: { kind: NameKind; name: string; holder: string };
}

export interface NameReleased {
  type: 'name.released';
  v: 1;
  payload: { holder: string };
}

export type NameClaimEvent = NameClaimed | NameReleased;
export type NameKind = 'model' | 'experiment';

export const registryStreams = {
  model: (modelId: string) => `model:${modelId}`,
  /** A workspace has no `/` (WORKSPACE_PATTERN), so the name is everything after the first one. */
  name: (kind: NameKind, workspace: string, name: string) => `name:${kind}:${workspace}/${name}`,
};
