import { METRIC_KEY, type ReadIds } from './authz-fixtures';
import { REGISTRY_GRAPHQL_CASES } from './authz-registry-graphql-cases';

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
  ...REGISTRY_GRAPHQL_CASES,
};
