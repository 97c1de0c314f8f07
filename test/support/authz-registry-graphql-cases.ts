import type { GraphqlCase } from './authz-graphql-cases';
import {
  fixtureModelName,
  MODEL_ALIAS,
  MODEL_REASON,
  MODEL_VERSION_TAGS,
  READ_ARTIFACT_PATH,
  type ReadIds,
} from './authz-fixtures';

const MODEL =
  'modelId name workspace status versions { version runId stage aliases } aliases { alias version }';
const RESULT = `{ appended eventIds approvalId model { ${MODEL} } }`;
/** After the read fixture's own model was written: any instant before the largest asOf takes. */
const AS_OF = 9_999_999_999_999;

/**
 * A registry mutation of the read fixture's model. The GraphQL rows append nothing (the matrix checks it), so the
 * own row's mutation is one that changes nothing: the retry of a fixture command under its eventId, or setting
 * what is already so. The other workspace's row names that workspace's model (from the caller's, where no model
 * has its name) and is held equal to the same mutation naming unknown ids.
 */
function registryMutation(
  field: string,
  [parameters, args]: [string, string],
  variables: (ids: ReadIds) => Record<string, unknown>,
): GraphqlCase {
  return {
    scope: 'scoped',
    operation: (ids) => ({
      query: `mutation(${parameters}) { ${field}(${args}) ${RESULT} }`,
      variables: variables(ids),
    }),
    shows: (text, { modelId }) => text.includes(modelId) && text.includes('"appended":false'),
  };
}

/**
 * Approves or rejects a pending request of the bootstrap principal (the caller is another user, as a decision
 * needs). Unlike the other mutations it has no form that changes nothing: it takes no eventId to retry under, and
 * deciding a request again is a conflict, so its own rows append (and the second one finds it decided).
 */
/** A retry of the fixture's decision (same eventId, same comment): acknowledged, nothing appended. */
function approvalDecision(
  field: 'approve' | 'reject',
  status: 'approved' | 'rejected',
  requestOf: (ids: ReadIds) => string,
  eventIdOf: (ids: ReadIds) => string,
): GraphqlCase {
  return {
    scope: 'scoped',
    operation: (ids) => ({
      query:
        `mutation($n: String!, $a: ID!, $e: ID!) { ${field}(model: $n, approvalId: $a, comment: "ok", eventId: $e) ` +
        '{ appended model { modelId approvals { approvalId status requestedBy decidedBy } } } }',
      variables: { n: ids.modelName, a: requestOf(ids), e: eventIdOf(ids) },
    }),
    shows: (text, ids) => {
      const answer = JSON.parse(text) as {
        data?: Record<string, { model: { approvals: { approvalId: string; status: string }[] } }>;
      };
      const request = answer.data?.[field].model.approvals.find(
        ({ approvalId }) => approvalId === requestOf(ids),
      );
      return request?.status === status;
    },
  };
}

const R = JSON.stringify(MODEL_REASON);
const PROMOTION = (ids: ReadIds) => ({ model: ids.modelName, version: 1, reason: MODEL_REASON });

/** One entry per root field of the schema (its key as in GRAPHQL_PERMISSIONS): the matrix fails on one without. */

/** The registry's and lineage's root fields (GRAPHQL_CASES takes them in). */
export const REGISTRY_GRAPHQL_CASES: Readonly<Record<string, GraphqlCase>> = {
  'Query.registeredModels': {
    scope: 'scoped',
    operation: ({ modelName }) => ({
      query:
        `query($n: String!) { all: registeredModels(includeDeleted: true) { modelId name status } ` +
        `named: registeredModels(nameContains: $n) { ${MODEL} } there: registeredModels(workspace: "other") { modelId } }`,
      variables: { n: modelName },
    }),
    shows: (text, { modelId, deletedModelName }) =>
      text.split(modelId).length === 3 && text.includes(deletedModelName) && text.includes('"there":[]'),
    absent: true,
  },
  'Query.registeredModel': {
    scope: 'scoped',
    operation: ({ modelName }) => ({
      query:
        `query($n: String!) { mine: registeredModel(name: $n) { ${MODEL} } ` +
        'there: registeredModel(name: $n, workspace: "other") { modelId } }',
      variables: { n: modelName },
    }),
    shows: (text, { modelId, runId }) =>
      text.includes(modelId) && text.includes(runId) && text.includes('"there":null'),
    absent: true,
  },
  'Query.modelAsOf': {
    scope: 'scoped',
    operation: ({ modelName }) => ({
      query:
        `query($n: String!) { mine: modelAsOf(name: $n, asOf: ${AS_OF}) { eventsFolded chainIntact model { ${MODEL} } } ` +
        `there: modelAsOf(name: $n, asOf: ${AS_OF}, workspace: "other") { eventsFolded } }`,
      variables: { n: modelName },
    }),
    shows: (text, { modelId }) =>
      text.includes(modelId) && text.includes('"chainIntact":true') && text.includes('"there":null'),
    absent: true,
  },
  // The own model's name in every row, as a create of a free name appends: the own row retries the model's create,
  // and under any other key the name is taken.
  'Mutation.createRegisteredModel': registryMutation(
    'createRegisteredModel',
    ['$n: String!, $e: ID!', 'name: $n, eventId: $e'],
    ({ createEventId }) => ({ n: fixtureModelName('own'), e: createEventId }),
  ),
  'Mutation.renameRegisteredModel': registryMutation(
    'renameRegisteredModel',
    ['$n: String!', 'name: $n, newName: $n'],
    ({ modelName }) => ({ n: modelName }),
  ),
  'Mutation.deleteRegisteredModel': {
    ...registryMutation(
      'deleteRegisteredModel',
      ['$n: String!, $e: ID!', `name: $n, reason: ${R}, eventId: $e`],
      ({ deletedModelName, deleteEventId }) => ({ n: deletedModelName, e: deleteEventId }),
    ),
    shows: (text, { deletedModelName }) =>
      text.includes(deletedModelName) &&
      text.includes('"status":"deleted"') &&
      text.includes('"appended":false'),
  },
  'Mutation.setModelApprovalPolicy': registryMutation(
    'setModelApprovalPolicy',
    ['$n: String!', 'name: $n, stages: [], aliases: []'],
    ({ modelName }) => ({ n: modelName }),
  ),
  'Mutation.registerModelVersion': registryMutation(
    'registerModelVersion',
    [
      `$n: String!, $r: String!, $e: ID!`,
      `model: $n, runId: $r, artifactPath: ${JSON.stringify(READ_ARTIFACT_PATH)}, eventId: $e`,
    ],
    ({ modelName, runId, versionEventId }) => ({ n: modelName, r: runId, e: versionEventId }),
  ),
  'Mutation.setModelVersionTags': registryMutation(
    'setModelVersionTags',
    ['$n: String!, $t: [ModelTagInput!]!', 'model: $n, version: 1, tags: $t'],
    ({ modelName }) => ({
      n: modelName,
      t: Object.entries(MODEL_VERSION_TAGS).map(([key, value]) => ({ key, value })),
    }),
  ),
  'Mutation.deleteModelVersionTags': registryMutation(
    'deleteModelVersionTags',
    ['$n: String!', 'model: $n, version: 1, keys: ["never-set"]'],
    ({ modelName }) => ({ n: modelName }),
  ),
  'Mutation.describeModelVersion': registryMutation(
    'describeModelVersion',
    ['$n: String!', 'model: $n, version: 1, description: ""'],
    ({ modelName }) => ({ n: modelName }),
  ),
  'Mutation.deleteModelVersion': registryMutation(
    'deleteModelVersion',
    ['$n: String!, $e: ID!', `model: $n, version: 2, reason: ${R}, eventId: $e`],
    ({ modelName, versionDeleteEventId }) => ({ n: modelName, e: versionDeleteEventId }),
  ),
  'Mutation.setAlias': registryMutation(
    'setAlias',
    [`$p: PromotionInput!`, `alias: ${JSON.stringify(MODEL_ALIAS)}, promotion: $p`],
    (ids) => ({ p: PROMOTION(ids) }),
  ),
  'Mutation.deleteAlias': registryMutation(
    'deleteAlias',
    ['$n: String!', `model: $n, alias: "never-set", reason: ${R}`],
    ({ modelName }) => ({ n: modelName }),
  ),
  'Mutation.transitionStage': registryMutation(
    'transitionStage',
    ['$p: PromotionInput!', 'stage: Staging, promotion: $p'],
    (ids) => ({ p: PROMOTION(ids) }),
  ),
  'Mutation.requestApproval': registryMutation(
    'requestApproval',
    ['$n: String!, $e: ID!', `model: $n, version: 1, stage: Production, reason: ${R}, eventId: $e`],
    ({ modelName, requestEventId }) => ({ n: modelName, e: requestEventId }),
  ),
  'Mutation.approve': approvalDecision(
    'approve',
    'approved',
    ({ approvalId }) => approvalId,
    ({ approveEventId }) => approveEventId,
  ),
  'Mutation.reject': approvalDecision(
    'reject',
    'rejected',
    ({ rejectionId }) => rejectionId,
    ({ rejectEventId }) => rejectEventId,
  ),
  'Query.modelLineage': {
    scope: 'scoped',
    operation: ({ modelName }) => ({
      query:
        'query($n: String!) { mine: modelLineage(model: $n, version: 1) { runId run { runId } inputs { digest } openLineage } ' +
        'there: modelLineage(model: $n, version: 1, workspace: "other") { runId } }',
      variables: { n: modelName },
    }),
    shows: (text, { runId, inputDigest }) =>
      text.split(runId).length >= 3 && text.includes(inputDigest) && text.includes('"there":null'),
    absent: true,
  },
  'Query.impact': {
    scope: 'scoped',
    operation: ({ inputDigest }) => ({
      query:
        'query($d: String!) { impact(datasetDigest: $d) { runs { runId } modelVersions { model version runId } truncated } ' +
        'there: impact(datasetDigest: $d, workspace: "other") { runs { runId } modelVersions { model } } }',
      variables: { d: inputDigest },
    }),
    shows: (text, { runId, modelName }) =>
      text.includes(runId) &&
      text.includes(modelName) &&
      text.includes('"there":{"runs":[],"modelVersions":[]}'),
    absent: true,
  },
};
