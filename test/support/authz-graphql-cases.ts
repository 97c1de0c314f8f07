import type { ReadIds } from './authz-fixtures';
import {
  fixtureModelName,
  METRIC_KEY,
  MODEL_ALIAS,
  MODEL_REASON,
  READ_ARTIFACT_PATH,
} from './authz-fixtures';

export interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

/**
 * How the matrix calls one root field. `scoped`: the operation names the read fixture of a workspace (`own` and
 * `other` rows; the other row is held equal to the same operation naming unknown ids); `global`: one row.
 * `shows`: what the own row's answer must show, so that "the other workspace answers as unknown" is not met by
 * an answer that shows nothing anyway. `absent`: the operation's answer never repeats the ids it is given, so the
 * other row must not contain any id of the other workspace at all (a list that leaks it would).
 */
export interface GraphqlCase {
  scope: 'global' | 'scoped';
  operation: (ids: ReadIds) => Operation;
  shows?: (text: string, ids: ReadIds) => boolean;
  absent?: boolean;
}

const global = (query: string): GraphqlCase => ({ scope: 'global', operation: () => ({ query }) });

const K = JSON.stringify(METRIC_KEY);

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
export const GRAPHQL_CASES: Readonly<Record<string, GraphqlCase>> = {
  'Query.__schema': global('{ __schema { queryType { name } } }'),
  'Query.__type': global('{ __type(name: "Run") { name } }'),
  'Query.__typename': global('{ __typename }'),
  'Query.whoami': global('{ whoami { principal kind } }'),
  'Query.projectionLag': global('{ projectionLag { topic lag } }'),
  'Query.deadLetters': global('{ deadLetters { reason stream } }'),
  'Query.auditVerify': global('{ auditVerify(topics: ["runlog.access"]) { ok breakCount } }'),
  'Query.auditTrail': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: 'query($s: String!) { auditTrail(stream: $s) { events { stream hash } truncated } }',
      variables: { s: `run:${runId}` },
    }),
    shows: (text, { runId }) => text.includes(`run:${runId}`),
    absent: true,
  },
  'Query.runAsOf': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: 'query($id: ID!) { runAsOf(runId: $id, asOf: 9999999999999) { runId status eventsFolded } }',
      variables: { id: runId },
    }),
    shows: (text, { runId }) => text.includes(runId),
    absent: true,
  },
  // Here an id that names nothing, for the permission alone (the proofs themselves: audit-verify.int.spec.ts).
  'Query.inclusionProof': global(
    '{ inclusionProof(eventId: "00000000-0000-7000-8000-000000000000") { leafIndex } }',
  ),
  'Query.consistencyProof': global(
    '{ consistencyProof(topic: "runlog.lifecycle", partition: 0, fromSize: 0, toSize: 0) { path } }',
  ),
  'Query.run': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: 'query($id: ID!) { run(id: $id) { id name } }',
      variables: { id: runId },
    }),
    shows: (text, { runId }) => text.includes(runId),
    absent: true,
  },
  'Query.runs': {
    scope: 'scoped',
    operation: ({ experimentId, sweepId }) => ({
      query:
        'query($exp: ID!, $sweep: ID!) { byExperiment: runs(experimentId: $exp) { id } bySweep: runs(sweepId: $sweep) { id } }',
      variables: { exp: experimentId, sweep: sweepId },
    }),
    shows: (text, { runId }) => text.split(runId).length === 3,
    absent: true,
  },
  'Query.experiment': {
    scope: 'scoped',
    operation: ({ experimentId }) => ({
      query: 'query($id: ID!) { experiment(id: $id) { id name } }',
      variables: { id: experimentId },
    }),
    shows: (text, { experimentId }) => text.includes(experimentId),
    absent: true,
  },
  'Query.experiments': {
    scope: 'scoped',
    operation: () => ({
      query: '{ experiments { id } archived: experiments(includeArchived: true) { id } }',
    }),
    shows: (text, { experimentId }) => text.includes(experimentId),
    absent: true,
  },
  'Query.sweep': {
    scope: 'scoped',
    operation: ({ sweepId }) => ({
      query: 'query($id: ID!) { sweep(id: $id) { id experimentId } }',
      variables: { id: sweepId },
    }),
    shows: (text, { sweepId }) => text.includes(sweepId),
    absent: true,
  },
  'Query.runsReadingInput': {
    scope: 'scoped',
    operation: ({ inputDigest }) => ({
      query: 'query($d: String!) { runsReadingInput(digest: $d) { runId name } }',
      variables: { d: inputDigest },
    }),
    shows: (text, { runId }) => text.includes(runId),
    absent: true,
  },
  'Query.artifactsWithDigest': {
    scope: 'scoped',
    operation: ({ artifactDigest }) => ({
      query: 'query($d: String!) { artifactsWithDigest(digest: $d) { runId path } }',
      variables: { d: artifactDigest },
    }),
    shows: (text, { runId }) => text.includes(runId),
    absent: true,
  },
  'Query.runHistory': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: 'query($id: ID!) { runHistory(runId: $id) { type actor workspace } }',
      variables: { id: runId },
    }),
    shows: (text) => text.includes('"actor"'),
    absent: true,
  },
  'Query.runMetricSeries': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: `query($id: ID!) { runMetricSeries(runId: $id, key: ${K}) { runId totalPoints points { step value } } }`,
      variables: { id: runId },
    }),
    shows: (text) => text.includes('"step"'),
  },
  'Query.metricSeries': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: `query($id: ID!) { metricSeries(runIds: [$id], keys: [${K}]) { rowsRead series { runId key } } }`,
      variables: { id: runId },
    }),
    shows: (text, { runId }) => text.includes(runId) && !text.includes('"rowsRead":0'),
  },
  'Query.searchRuns': {
    scope: 'scoped',
    operation: ({ experimentId, sweepId }) => ({
      query:
        'query($exp: ID!, $sweep: ID!) { byExperiment: searchRuns(experimentIds: [$exp]) { edges { node { id } } } ' +
        'bySweep: searchRuns(sweepId: $sweep) { edges { node { id } } } }',
      variables: { exp: experimentId, sweep: sweepId },
    }),
    shows: (text, { runId }) => text.split(runId).length === 3,
    absent: true,
  },
  'Query.topRuns': {
    scope: 'scoped',
    operation: ({ experimentId, sweepId }) => ({
      query:
        `query($exp: ID!, $sweep: ID!) { byExperiment: topRuns(experimentIds: [$exp], metric: ${K}) { run { id } } ` +
        `bySweep: topRuns(sweepId: $sweep, metric: ${K}) { run { id } } }`,
      variables: { exp: experimentId, sweep: sweepId },
    }),
    shows: (text, { runId }) => text.split(runId).length === 3,
    absent: true,
  },
  'Query.bestRunPerGroup': {
    scope: 'scoped',
    operation: ({ experimentId, sweepId }) => ({
      query:
        `query($exp: ID!, $sweep: ID!) { byExperiment: bestRunPerGroup(experimentIds: [$exp], groupBy: "tags.team", metric: ${K}) { group run { id } } ` +
        `bySweep: bestRunPerGroup(sweepId: $sweep, groupBy: "tags.team", metric: ${K}) { group run { id } } }`,
      variables: { exp: experimentId, sweep: sweepId },
    }),
    shows: (text, { runId }) => text.split(runId).length === 3,
    absent: true,
  },
  'Query.compareRuns': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: 'query($id: ID!) { compareRuns(ids: [$id]) { runs { id } rows { key } } }',
      variables: { id: runId },
    }),
    shows: (text, { runId }) => text.includes(runId),
  },
  'Query.sweepSummary': {
    scope: 'scoped',
    operation: ({ sweepId }) => ({
      query: `query($id: ID!) { sweepSummary(sweepId: $id, metrics: [${K}]) { objective rows { run { id } } } }`,
      variables: { id: sweepId },
    }),
    shows: (text, { runId }) => text.includes(runId),
  },
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
  'Subscription.runStatusChanged': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: 'subscription($id: ID!) { runStatusChanged(runId: $id) { runId status initial } }',
      variables: { id: runId },
    }),
  },
  'Subscription.metricPoints': {
    scope: 'scoped',
    operation: ({ runId }) => ({
      query: `subscription($id: ID!) { metricPoints(runId: $id, keys: [${K}], intervalMs: 100) { runId series { key received } } }`,
      variables: { id: runId },
    }),
  },
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
