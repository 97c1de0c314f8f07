import { ACCESS_ROLES, TOKEN_ID_PATTERN } from '../../../../libs/access/src';
import { ISSUE_TOKEN_SCHEMA, REVOKE_TOKEN_SCHEMA } from './token-requests';

/** A refusal's response: the Error schema, with what it means on that route. */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** What every route but the public ones may answer about who is asking. */
export const ACCESS_REFUSALS = {
  '401': errorResponse(
    'No credential where one is required, or one that is not valid (unknown, revoked, expired): ' +
      '`WWW-Authenticate: Bearer`, `field: authorization`.',
  ),
  '403': errorResponse('The principal does not hold the permission this route needs in the workspace.'),
  '429': errorResponse(
    "Over the token's request or point rate: `Retry-After` says when to retry; `RateLimit-*` headers say the limit.",
  ),
} as const;

const TOKEN_VIEW = {
  type: 'object',
  properties: {
    tokenId: { type: 'string', pattern: TOKEN_ID_PATTERN.source },
    principal: { type: 'string' },
    workspace: { type: 'string' },
    roles: { type: 'array', items: { enum: [...ACCESS_ROLES] } },
    issuedAt: { type: 'string', format: 'date-time' },
    issuedBy: { type: 'string' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    description: { type: ['string', 'null'] },
    actOnBehalf: { type: 'boolean' },
    revokedAt: { type: 'string', format: 'date-time' },
    revokedBy: { type: 'string' },
    revokeReason: { type: ['string', 'null'] },
  },
} as const;

export const TOKEN_SCHEMAS = {
  IssueToken: ISSUE_TOKEN_SCHEMA,
  RevokeToken: REVOKE_TOKEN_SCHEMA,
  Token: TOKEN_VIEW,
  IssuedToken: {
    allOf: [
      { $ref: '#/components/schemas/Token' },
      {
        type: 'object',
        properties: {
          token: {
            type: 'string',
            description: 'rl_<tokenId>_<secret>: shown only in this answer, stored only as a hash.',
          },
        },
      },
    ],
  },
} as const;

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const bodyRefusals = {
  '400': errorResponse('A field is invalid (`field` names it).'),
  '413': errorResponse('The body is over the configured cap.'),
  '415': errorResponse('Content-Type is not application/json.'),
  '503': errorResponse('The log is unavailable; retry.'),
};

export function tokenPaths() {
  return {
    '/api/v1/whoami': {
      get: {
        summary: 'Who this request is made by: principal, kind, token id, roles per workspace',
        operationId: 'whoami',
        responses: { '200': { description: 'The principal.' }, ...ACCESS_REFUSALS },
      },
    },
    '/api/v1/tokens': {
      post: {
        summary:
          'Issue an API token. Anyone may issue one for itself with roles it holds in the workspace; an admin of the ' +
          'workspace may issue any roles, for any principal. Recorded in the log as token.issued (hash only).',
        operationId: 'issueToken',
        requestBody: { required: true, content: json('IssueToken') },
        responses: {
          '201': { description: 'The token, shown once.', content: json('IssuedToken') },
          ...bodyRefusals,
          ...ACCESS_REFUSALS,
        },
      },
      get: {
        summary: 'Tokens: all of a workspace for its admins, else the caller’s own',
        operationId: 'listTokens',
        parameters: [{ name: 'workspace', in: 'query', required: false, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'No secrets, no hashes.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { tokens: { type: 'array', items: { $ref: '#/components/schemas/Token' } } },
                },
              },
            },
          },
          ...ACCESS_REFUSALS,
        },
      },
    },
    '/api/v1/tokens/{tokenId}/revoke': {
      post: {
        summary:
          'Revoke a token (its holder, or an admin of its workspace). Every process refuses it within ' +
          'RUNLOG_ACCESS_POLL_MS (500 ms by default) plus one read of the log; revoking again changes nothing.',
        operationId: 'revokeToken',
        parameters: [
          {
            name: 'tokenId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: TOKEN_ID_PATTERN.source },
          },
        ],
        requestBody: { required: false, content: json('RevokeToken') },
        responses: {
          '200': { description: 'When and by whom it was revoked.' },
          '404': errorResponse('No such token, or one the caller may not see.'),
          ...bodyRefusals,
          ...ACCESS_REFUSALS,
        },
      },
    },
  };
}

/** How to authenticate, for the document's `components.securitySchemes` and top-level `security`. */
export const SECURITY_SCHEMES = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API token (`rl_…`, from POST /api/v1/tokens or `runlog token issue`) or, with RUNLOG_AUTH=jwt, a JWT of ' +
      'the configured identity provider. On the loopback address without RUNLOG_AUTH, requests without one act ' +
      'as the local owner.',
  },
  basicToken: {
    type: 'http',
    scheme: 'basic',
    description:
      'Basic auth whose password is an API token (what MLflow clients send); the user name is ignored.',
  },
} as const;
