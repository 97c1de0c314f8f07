import { ACCESS_REFUSALS, errorResponse } from '../access/tokens.openapi';
import {
  REGISTRY_PATH_PARAMETERS,
  REGISTRY_SCHEMAS,
  type RegistryBodies,
  type RegistryPathParameter,
} from './registry.schemas';

const REGISTRY_REFUSALS = {
  '400': errorResponse('A field or path parameter is invalid (`field` names it).'),
  '404': errorResponse(
    'No model of that name in the workspace (or no such version, run, artifact or approval).',
  ),
  '409': errorResponse(
    'promotion_conflict: the stage or alias is held by another version than `replaces` (the message names it); ' +
      'approval_required: the policy needs an approved request; name_taken; or the eventId was used by another request.',
  ),
  '413': errorResponse('The body is over the configured cap.'),
  '415': errorResponse('Content-Type is not application/json.'),
  '503': errorResponse(
    "The log, or the ingest process that owns the workspace's registry, is unavailable; retry.",
  ),
};

const MODEL_ANSWER = {
  type: 'object',
  properties: {
    modelId: { type: 'string' },
    workspace: { type: 'string' },
    model: { type: 'object', description: "The model's state after the command, folded from its stream." },
    eventIds: { type: 'array', items: { type: 'string' } },
    appended: { type: 'boolean' },
    approvalId: { type: 'string', description: 'requestApproval: the id approve and reject take.' },
    consistencyToken: { type: 'string' },
  },
} as const;

function operation(
  summary: string,
  schema: keyof RegistryBodies,
  parameters: RegistryPathParameter[],
  options: { created?: boolean; method?: 'post' | 'delete' } = {},
) {
  return {
    [options.method ?? 'post']: {
      summary,
      operationId: `${schema.charAt(0).toLowerCase()}${schema.slice(1)}`,
      parameters: parameters.map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: REGISTRY_PATH_PARAMETERS[name],
      })),
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses: {
        [options.created ? '201' : '200']: {
          description:
            'Appended to the log (or already there: `appended: false`), with the model as it now stands.',
          content: { 'application/json': { schema: MODEL_ANSWER } },
        },
        ...REGISTRY_REFUSALS,
        ...ACCESS_REFUSALS,
      },
    },
  };
}

/** The model registry's routes (registry.controller.ts). */
export function registryPaths() {
  return {
    '/api/v1/models': operation(
      'Register a model (its name must be free in the workspace)',
      'CreateModel',
      [],
      {
        created: true,
      },
    ),
    '/api/v1/models/{name}': operation(
      'Delete a model (admin); its name is free again',
      'DeleteModel',
      ['name'],
      {
        method: 'delete',
      },
    ),
    '/api/v1/models/{name}/rename': operation('Rename a model', 'RenameModel', ['name']),
    '/api/v1/models/{name}/description': operation('Describe a model', 'DescribeModel', ['name']),
    '/api/v1/models/{name}/tags': operation("Set a model's tags", 'SetModelTags', ['name']),
    '/api/v1/models/{name}/tags/delete': operation("Delete a model's tags", 'DeleteModelTags', ['name']),
    '/api/v1/models/{name}/policy': operation(
      'Set which stages and aliases need an approval by another user (admin)',
      'SetApprovalPolicy',
      ['name'],
    ),
    '/api/v1/models/{name}/versions': operation(
      "Register a version from a run's artifact (its sha256 checked against the run's record)",
      'RegisterModelVersion',
      ['name'],
      { created: true },
    ),
    '/api/v1/models/{name}/versions/{version}/stage': operation(
      'Move a version to a stage (compare-and-set on the holder: `replaces`)',
      'TransitionStage',
      ['name', 'version'],
    ),
    '/api/v1/models/{name}/versions/{version}': operation(
      'Delete a version (admin): its aliases are removed with it, its number is never given again',
      'DeleteVersion',
      ['name', 'version'],
      { method: 'delete' },
    ),
    '/api/v1/models/{name}/versions/{version}/tags': operation("Set a version's tags", 'SetVersionTags', [
      'name',
      'version',
    ]),
    '/api/v1/models/{name}/versions/{version}/tags/delete': operation(
      "Delete a version's tags",
      'DeleteVersionTags',
      ['name', 'version'],
    ),
    '/api/v1/models/{name}/versions/{version}/description': operation(
      'Describe a version',
      'DescribeVersion',
      ['name', 'version'],
    ),
    '/api/v1/models/{name}/aliases': operation(
      'Point an alias at a version (compare-and-set on the holder: `replaces`)',
      'SetAlias',
      ['name'],
    ),
    '/api/v1/models/{name}/aliases/{alias}/delete': operation('Remove an alias', 'DeleteAlias', [
      'name',
      'alias',
    ]),
    '/api/v1/models/{name}/approvals': operation(
      'Ask for an approval to promote a version',
      'RequestApproval',
      ['name'],
      { created: true },
    ),
    '/api/v1/models/{name}/approvals/{approvalId}/approve': operation(
      'Approve a request made by another user (approver)',
      'DecideApproval',
      ['name', 'approvalId'],
    ),
    '/api/v1/models/{name}/approvals/{approvalId}/reject': operation(
      'Reject a request made by another user (approver)',
      'DecideApproval',
      ['name', 'approvalId'],
    ),
  };
}

export { REGISTRY_SCHEMAS };
