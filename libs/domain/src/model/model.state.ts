import type {
  ApprovalPolicy,
  ModelEvent,
  ModelStage,
  PromotionTarget,
  UsedApproval,
} from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';

export interface ModelVersionState {
  version: number;
  runId: string;
  artifactPath: string;
  sha256: string;
  description: string;
  stage: ModelStage;
  registeredBy: string;
  registeredAt: number;
  /** When and by whom the version last changed stage (its registration until then). */
  stageChangedAt: number;
  stageChangedBy: string;
  /** Absent in states projected before versions took tags: read it through versionTags. */
  tags?: Record<string, string>;
  /** When the version's description or tags last changed (its registration until then; absent: never). */
  updatedAt?: number;
}

/** A deleted version: the last state it had, and when and by whom it was deleted. */
export interface DeletedModelVersionState extends ModelVersionState {
  deletedAt: number;
  deletedBy: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'used';

export interface ApprovalState {
  approvalId: string;
  version: number;
  target: PromotionTarget;
  reason: string;
  requestedBy: string;
  requestedAt: number;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: number | null;
  comment: string | null;
}

/** Plain JSON all the way down: the projection stores it as it is, and the gateway reads it back. */
export type ModelState =
  | { status: 'absent' }
  | {
      status: 'active' | 'deleted';
      modelId: string;
      name: string;
      description: string;
      tags: Record<string, string>;
      policy: ApprovalPolicy;
      /** The live versions, by version number. */
      versions: Record<string, ModelVersionState>;
      /**
       * Deleted versions, by number: their numbers are never given again. Absent in states projected before
       * versions could be deleted: read it through deletedVersionsOf.
       */
      deletedVersions?: Record<string, DeletedModelVersionState>;
      /** Alias → version. */
      aliases: Record<string, number>;
      approvals: Record<string, ApprovalState>;
      createdAt: number;
      createdBy: string;
      updatedAt: number;
    };

export type LiveModelState = Extract<ModelState, { status: 'active' | 'deleted' }>;

export const initialModelState: ModelState = { status: 'absent' };

/** Who recorded the event and when (the envelope's actor and recordedAt): the state keeps them beside each change. */
export interface EventMeta {
  actor: string;
  at: number;
}

const NO_META: EventMeta = { actor: '', at: 0 };

export function holderOfStage(state: LiveModelState, stage: ModelStage): number | null {
  for (const version of Object.values(state.versions)) if (version.stage === stage) return version.version;
  return null;
}

export function versionTags(version: ModelVersionState): Record<string, string> {
  return version.tags ?? {};
}

export function deletedVersionsOf(state: LiveModelState): Record<string, DeletedModelVersionState> {
  return state.deletedVersions ?? {};
}

/** The highest number given so far, deleted versions included: the next version takes the one after it. */
export function latestVersion(state: LiveModelState): number {
  return [...Object.keys(state.versions), ...Object.keys(deletedVersionsOf(state))].reduce(
    (max, key) => Math.max(max, Number(key)),
    0,
  );
}

/** The state with one live version changed by `change` (a version it has not is left as it is). */
function withVersion(
  state: LiveModelState,
  version: number,
  change: (current: ModelVersionState) => ModelVersionState,
): LiveModelState {
  const current = state.versions[String(version)];
  if (!current) return state;
  return { ...state, versions: { ...state.versions, [String(version)]: change(current) } };
}

function withApprovalUsed(
  approvals: Record<string, ApprovalState>,
  approval: UsedApproval | null,
): Record<string, ApprovalState> {
  if (approval === null || !approvals[approval.approvalId]) return approvals;
  return { ...approvals, [approval.approvalId]: { ...approvals[approval.approvalId], status: 'used' } };
}

export function evolveModel(
  state: ModelState,
  event: DomainEvent<ModelEvent>,
  meta: EventMeta = NO_META,
): ModelState {
  if (event.type === 'model.created') {
    const { modelId, name, description, tags } = event.payload;
    return {
      status: 'active',
      modelId,
      name,
      description,
      tags: { ...tags },
      policy: { stages: [], aliases: [] },
      versions: {},
      aliases: {},
      approvals: {},
      createdAt: meta.at,
      createdBy: meta.actor,
      updatedAt: meta.at,
    };
  }
  if (state.status === 'absent') return state;
  const next = { ...state, updatedAt: meta.at };
  switch (event.type) {
    case 'model.renamed':
      return { ...next, name: event.payload.name };
    case 'model.described':
      return { ...next, description: event.payload.description };
    case 'model.tags_set':
      return { ...next, tags: { ...state.tags, ...event.payload.tags } };
    case 'model.tags_deleted': {
      const tags = { ...state.tags };
      for (const key of event.payload.keys) delete tags[key];
      return { ...next, tags };
    }
    case 'model.deleted':
      return { ...next, status: 'deleted' };
    case 'model.policy_set':
      return { ...next, policy: event.payload.approvalRequired };
    case 'model.version_registered': {
      const { version, runId, artifactPath, sha256, description } = event.payload;
      const registered: ModelVersionState = {
        version,
        runId,
        artifactPath,
        sha256,
        description,
        stage: 'None',
        registeredBy: meta.actor,
        registeredAt: meta.at,
        stageChangedAt: meta.at,
        stageChangedBy: meta.actor,
      };
      return { ...next, versions: { ...state.versions, [String(version)]: registered } };
    }
    case 'model.version_tags_set':
      return withVersion(next, event.payload.version, (current) => ({
        ...current,
        tags: { ...versionTags(current), ...event.payload.tags },
        updatedAt: meta.at,
      }));
    case 'model.version_tags_deleted':
      return withVersion(next, event.payload.version, (current) => {
        const tags = { ...versionTags(current) };
        for (const key of event.payload.keys) delete tags[key];
        return { ...current, tags, updatedAt: meta.at };
      });
    case 'model.version_described':
      return withVersion(next, event.payload.version, (current) => ({
        ...current,
        description: event.payload.description,
        updatedAt: meta.at,
      }));
    case 'model.version_deleted': {
      const key = String(event.payload.version);
      const current = state.versions[key];
      if (!current) return next;
      const versions = { ...state.versions };
      delete versions[key];
      const deleted: DeletedModelVersionState = { ...current, deletedAt: meta.at, deletedBy: meta.actor };
      return { ...next, versions, deletedVersions: { ...deletedVersionsOf(state), [key]: deleted } };
    }
    case 'model.alias_set': {
      const { alias, version, approval } = event.payload;
      return {
        ...next,
        aliases: { ...state.aliases, [alias]: version },
        approvals: withApprovalUsed(state.approvals, approval),
      };
    }
    case 'model.alias_deleted': {
      const aliases = { ...state.aliases };
      delete aliases[event.payload.alias];
      return { ...next, aliases };
    }
    case 'model.stage_transitioned': {
      const { version, stage, approval } = event.payload;
      const current = state.versions[String(version)];
      if (!current) return next;
      const moved = { ...current, stage, stageChangedAt: meta.at, stageChangedBy: meta.actor };
      return {
        ...next,
        versions: { ...state.versions, [String(version)]: moved },
        approvals: withApprovalUsed(state.approvals, approval),
      };
    }
    case 'model.approval_requested': {
      const { approvalId, version, target, reason, requestedBy } = event.payload;
      const requested: ApprovalState = {
        approvalId,
        version,
        target,
        reason,
        requestedBy,
        requestedAt: meta.at,
        status: 'pending',
        decidedBy: null,
        decidedAt: null,
        comment: null,
      };
      return { ...next, approvals: { ...state.approvals, [approvalId]: requested } };
    }
    case 'model.approval_granted':
    case 'model.approval_rejected': {
      const { approvalId, comment } = event.payload;
      const current = state.approvals[approvalId];
      if (!current) return next;
      const granted = event.type === 'model.approval_granted';
      const decided: ApprovalState = {
        ...current,
        status: granted ? 'approved' : 'rejected',
        decidedBy: granted ? event.payload.approvedBy : event.payload.rejectedBy,
        decidedAt: meta.at,
        comment,
      };
      return { ...next, approvals: { ...state.approvals, [approvalId]: decided } };
    }
  }
}
