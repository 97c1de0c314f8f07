import { randomBytes, randomUUID } from 'node:crypto';
import { principalOf, roleOf, type Answer, type Caller } from './authz-client';
import { MODEL_ALIAS, MODEL_REASON, READ_ARTIFACT_PATH, type ModelAnswer } from './authz-fixtures';
import type { RouteCase, RouteContext } from './authz-route-cases';

/**
 * Registry routes name a model by its name in the workspace the request acts in (the caller's own, as no header
 * names another): the other workspace's row names a model of that workspace, which answers as a name no model has.
 */
type ModelPrepare = (context: RouteContext) => Promise<string>;
const modelIn: ModelPrepare = ({ setup, workspace }) => setup.model(workspace);
const versionedModelIn =
  (steps: { staged?: boolean; aliased?: boolean } = {}): ModelPrepare =>
  ({ setup, workspace, read }) =>
    setup.versionedModel(workspace, read[workspace].runId, steps);
const unknownModel = () => `matrix-model-${randomBytes(6).toString('hex')}`;
const modelPath = (name: string, action: string) =>
  `/api/v1/models/${encodeURIComponent(name)}${action === '' ? '' : `/${action}`}`;
const modelOf = (answer: Answer) => (answer.json as ModelAnswer).model;

function modelCommand(
  action: string,
  body: (context: RouteContext) => unknown,
  options: {
    prepare?: ModelPrepare;
    method?: 'POST' | 'DELETE';
    shows?: (answer: Answer, name: string, caller: Caller) => boolean;
  } = {},
): RouteCase {
  return {
    scope: 'scoped',
    unknown: unknownModel,
    prepare: options.prepare ?? modelIn,
    request: (name, context) => ({
      method: options.method ?? 'POST',
      path: modelPath(name, action),
      body: body(context),
    }),
    appends: true,
    shows: options.shows,
  };
}

/** An approval request's model is named after it, so that the request can name both (one id per row). */
const APPROVAL_MODEL = 'matrix-approval-';
const approvalOf = (name: string) => name.slice(APPROVAL_MODEL.length);

/** Approve or reject a request the bootstrap principal made: the caller is another user, as a decision needs. */
function approvalDecision(decision: 'approve' | 'reject'): RouteCase {
  return {
    scope: 'scoped',
    unknown: () => `${APPROVAL_MODEL}${randomUUID()}`,
    prepare: async ({ setup, workspace, read }) => {
      const approvalId = randomUUID();
      return setup.versionedModel(workspace, read[workspace].runId, {
        name: `${APPROVAL_MODEL}${approvalId}`,
        approvalIds: [approvalId],
      });
    },
    request: (name) => ({
      method: 'POST',
      path: modelPath(name, `approvals/${approvalOf(name)}/${decision}`),
      body: { comment: 'ok' },
    }),
    appends: true,
    shows: (answer, name, caller) => {
      const approval = modelOf(answer).approvals[approvalOf(name)];
      return (
        approval?.status === (decision === 'approve' ? 'approved' : 'rejected') &&
        approval.requestedBy === 'matrix-requester' &&
        approval.decidedBy === principalOf(roleOf(caller))
      );
    },
  };
}

/** The model registry's routes (ROUTE_CASES takes them in). */
export const REGISTRY_ROUTE_CASES: Readonly<Record<string, RouteCase>> = {
  'POST /api/v1/models': {
    // New in the workspace the request names: none in the other one, where the name a model holds says nothing.
    scope: 'scoped',
    other: 'forbidden',
    prepare: ({ setup, workspace }) =>
      workspace === 'own' ? Promise.resolve(unknownModel()) : setup.model(workspace),
    request: (name, { workspace }) => ({
      method: 'POST',
      path: '/api/v1/models',
      body: { name },
      headers: { 'x-runlog-workspace': workspace },
    }),
    appends: true,
    shows: (answer, name, caller) => {
      const made = answer.json as ModelAnswer;
      return (
        made.workspace === 'own' &&
        made.model.name === name &&
        made.model.createdBy === principalOf(roleOf(caller))
      );
    },
  },
  'POST /api/v1/models/:name/rename': modelCommand('rename', () => ({ name: unknownModel() })),
  'POST /api/v1/models/:name/description': modelCommand('description', () => ({ description: 'matrix' })),
  'POST /api/v1/models/:name/tags': modelCommand('tags', () => ({ tags: { team: 'matrix' } })),
  'POST /api/v1/models/:name/tags/delete': modelCommand('tags/delete', () => ({ keys: ['team'] }), {
    prepare: ({ setup, workspace }) => setup.model(workspace, { tags: { team: 'a' } }),
    shows: (answer) => !('team' in modelOf(answer).tags),
  }),
  'DELETE /api/v1/models/:name': modelCommand('', () => ({ reason: MODEL_REASON }), { method: 'DELETE' }),
  'POST /api/v1/models/:name/policy': modelCommand(
    'policy',
    () => ({ approvalRequired: { stages: ['Production'], aliases: [] } }),
    { shows: (answer) => modelOf(answer).policy.stages.includes('Production') },
  ),
  'POST /api/v1/models/:name/versions': modelCommand(
    'versions',
    ({ read, workspace }) => ({ runId: read[workspace].runId, artifactPath: READ_ARTIFACT_PATH }),
    {
      shows: (answer, _name, caller) =>
        modelOf(answer).versions['1']?.registeredBy === principalOf(roleOf(caller)),
    },
  ),
  'POST /api/v1/models/:name/versions/:version/stage': modelCommand(
    'versions/1/stage',
    () => ({ stage: 'Staging', reason: MODEL_REASON }),
    {
      prepare: versionedModelIn(),
      shows: (answer, _name, caller) => {
        const version = modelOf(answer).versions['1'];
        return version?.stage === 'Staging' && version.stageChangedBy === principalOf(roleOf(caller));
      },
    },
  ),
  'POST /api/v1/models/:name/versions/:version/tags': modelCommand(
    'versions/1/tags',
    () => ({ tags: { validated: 'matrix' } }),
    {
      prepare: versionedModelIn(),
      shows: (answer) => modelOf(answer).versions['1']?.tags?.validated === 'matrix',
    },
  ),
  'POST /api/v1/models/:name/versions/:version/tags/delete': modelCommand(
    'versions/1/tags/delete',
    () => ({ keys: ['validated'] }),
    {
      prepare: async (context) => {
        const name = await versionedModelIn()(context);
        await context.setup.modelCommand(context.workspace, name, 'versions/1/tags', {
          tags: { validated: 'yes' },
        });
        return name;
      },
      shows: (answer) => {
        const version = modelOf(answer).versions['1'];
        return version !== undefined && !('validated' in (version.tags ?? {}));
      },
    },
  ),
  'POST /api/v1/models/:name/versions/:version/description': modelCommand(
    'versions/1/description',
    () => ({ description: 'matrix' }),
    {
      prepare: versionedModelIn(),
      shows: (answer) => modelOf(answer).versions['1']?.description === 'matrix',
    },
  ),
  'DELETE /api/v1/models/:name/versions/:version': modelCommand(
    'versions/1',
    () => ({ reason: MODEL_REASON }),
    {
      method: 'DELETE',
      prepare: versionedModelIn({ aliased: true }),
      shows: (answer, _name, caller) => {
        const model = modelOf(answer);
        return (
          model.versions['1'] === undefined &&
          !(MODEL_ALIAS in model.aliases) &&
          model.deletedVersions?.['1']?.deletedBy === principalOf(roleOf(caller))
        );
      },
    },
  ),
  'POST /api/v1/models/:name/aliases': modelCommand(
    'aliases',
    () => ({ alias: MODEL_ALIAS, version: 1, reason: MODEL_REASON }),
    { prepare: versionedModelIn(), shows: (answer) => modelOf(answer).aliases[MODEL_ALIAS] === 1 },
  ),
  'POST /api/v1/models/:name/aliases/:alias/delete': modelCommand(
    `aliases/${MODEL_ALIAS}/delete`,
    () => ({ reason: MODEL_REASON }),
    {
      prepare: versionedModelIn({ aliased: true }),
      shows: (answer) => !(MODEL_ALIAS in modelOf(answer).aliases),
    },
  ),
  'POST /api/v1/models/:name/approvals': modelCommand(
    'approvals',
    () => ({ version: 1, target: { stage: 'Production' }, reason: MODEL_REASON }),
    {
      prepare: versionedModelIn(),
      shows: (answer, _name, caller) => {
        const { approvalId } = answer.json as ModelAnswer;
        const approval = approvalId === undefined ? undefined : modelOf(answer).approvals[approvalId];
        return approval?.status === 'pending' && approval.requestedBy === principalOf(roleOf(caller));
      },
    },
  ),
  'POST /api/v1/models/:name/approvals/:approvalId/approve': approvalDecision('approve'),
  'POST /api/v1/models/:name/approvals/:approvalId/reject': approvalDecision('reject'),
};
