import type { Permission } from './principal';

/**
 * What each surface needs, in one table: every HTTP route (method and Express path pattern, as Nest registers it)
 * and every root field of the GraphQL schema. A route or field missing here is refused (fail closed), and the
 * authorization matrix test (test/integration/authorization-matrix.int.spec.ts) is generated from this table and
 * fails on any route or field the server has that the table lacks.
 *
 * `public`: no credential (probes, scrapers). `documents`: public unless RUNLOG_AUTH_DOCUMENTS=protected, then
 * read. `authenticated`: any principal, whatever its roles (who am I, my own tokens). `read`, `write`, `approve`,
 * `admin`: that role's permission in the workspace the request acts on (the target's, for an existing id).
 * `operator`: admin of every workspace (`*`): operations on the whole store.
 */
export type SurfacePermission = Permission | 'documents' | 'authenticated' | 'operator';

/**
 * MLflow's dialect (services/mlflow): one dispatching route per method and prefix. Each MLflow write is a native
 * command sent to ingest as the caller, where its own route's permission is checked in the target's workspace;
 * each read is answered in the caller's read scope. So the routes themselves need only a principal.
 */
const MLFLOW_ROUTE_PERMISSIONS: Record<string, SurfacePermission> = {
  'GET /health': 'public',
  'GET /version': 'public',
  'GET /api/3.0/mlflow/server-info': 'public',
  // The files MLflow's web UI reads outside the REST prefix.
  'GET /get-artifact': 'authenticated',
  'GET /model-versions/get-artifact': 'authenticated',
  ...Object.fromEntries(
    ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'].flatMap((prefix) => [
      [`GET ${prefix}/*path`, 'authenticated'],
      [`POST ${prefix}/*path`, 'authenticated'],
      // Only MLflow's writes take these methods (registry updates and deletes, logged models' finalize).
      [`PATCH ${prefix}/*path`, 'write'],
      [`DELETE ${prefix}/*path`, 'write'],
    ]),
  ),
  ...Object.fromEntries(
    ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'].flatMap((prefix) => [
      [`GET ${prefix}/artifacts`, 'authenticated'],
      [`GET ${prefix}/artifacts/*path`, 'authenticated'],
      [`PUT ${prefix}/artifacts/*path`, 'write'],
      [`POST ${prefix}/mpu/create/*path`, 'write'],
      [`POST ${prefix}/mpu/complete/*path`, 'write'],
      [`POST ${prefix}/mpu/abort/*path`, 'write'],
      // A part goes where create's answer said, without credentials (as to a presigned S3 URL): the upload's id,
      // 256 random bits given only to the writer that made it, is what admits it; completing it needs write again.
      [`PUT ${prefix}/mpu/parts/:uploadId/:part`, 'public'],
    ]),
  ),
};

export const ROUTE_PERMISSIONS: Readonly<Record<string, SurfacePermission>> = {
  'GET /healthz': 'public',
  'GET /healthz/subscriptions': 'public',
  'GET /metrics': 'public',
  ...MLFLOW_ROUTE_PERMISSIONS,
  'GET /api/v1/openapi.json': 'documents',
  'GET /api/v1/whoami': 'authenticated',
  'POST /api/v1/tokens': 'authenticated',
  'GET /api/v1/tokens': 'authenticated',
  'POST /api/v1/tokens/:tokenId/revoke': 'authenticated',
  'POST /api/v1/experiments': 'write',
  'POST /api/v1/experiments/:experimentId/rename': 'write',
  'POST /api/v1/experiments/:experimentId/archive': 'admin',
  'POST /api/v1/experiments/:experimentId/restore': 'admin',
  'POST /api/v1/experiments/:experimentId/retention': 'admin',
  'POST /api/v1/experiments/:experimentId/tags': 'write',
  'POST /api/v1/experiments/:experimentId/tags/delete': 'write',
  'POST /api/v1/sweeps': 'write',
  'POST /api/v1/runs': 'write',
  'POST /api/v1/runs/:runId/start': 'write',
  'POST /api/v1/runs/:runId/rename': 'write',
  'DELETE /api/v1/runs/:runId': 'admin',
  'POST /api/v1/runs/:runId/restore': 'admin',
  'POST /api/v1/runs/:runId/note': 'write',
  'POST /api/v1/runs/:runId/inputs': 'write',
  'POST /api/v1/runs/:runId/heartbeat': 'write',
  'POST /api/v1/runs/:runId/params': 'write',
  'POST /api/v1/runs/:runId/tags': 'write',
  'POST /api/v1/runs/:runId/tags/delete': 'write',
  'POST /api/v1/runs/:runId/metrics': 'write',
  'POST /api/v1/runs/:runId/finish': 'write',
  'POST /api/v1/runs/:runId/fail': 'write',
  'POST /api/v1/runs/:runId/kill': 'write',
  'PUT /api/v1/runs/:runId/artifacts/*path': 'write',
  'POST /api/v1/runs/:runId/artifact-records': 'write',
  'POST /api/v1/runs/:runId/media': 'write',
  'GET /api/v1/runs/:runId/artifacts': 'read',
  'GET /api/v1/runs/:runId/artifacts/*path': 'read',
  'GET /api/v1/metrics/export': 'read',
  'POST /api/v1/metrics/export': 'read',
  'POST /admin/dead-letters/reproject': 'admin',
  // The whole store, every workspace's projections: an admin of all of them (`*`).
  'POST /admin/replay': 'operator',
  'GET /admin/replay': 'operator',
  'POST /api/v1/models': 'write',
  'POST /api/v1/models/:name/rename': 'write',
  'POST /api/v1/models/:name/description': 'write',
  'POST /api/v1/models/:name/tags': 'write',
  'POST /api/v1/models/:name/tags/delete': 'write',
  'DELETE /api/v1/models/:name': 'admin',
  'POST /api/v1/models/:name/policy': 'admin',
  'POST /api/v1/models/:name/versions': 'write',
  'POST /api/v1/models/:name/versions/:version/stage': 'write',
  'POST /api/v1/models/:name/versions/:version/tags': 'write',
  'POST /api/v1/models/:name/versions/:version/tags/delete': 'write',
  'POST /api/v1/models/:name/versions/:version/description': 'write',
  'DELETE /api/v1/models/:name/versions/:version': 'admin',
  'POST /api/v1/models/:name/aliases': 'write',
  'POST /api/v1/models/:name/aliases/:alias/delete': 'write',
  'POST /api/v1/models/:name/approvals': 'write',
  'POST /api/v1/models/:name/approvals/:approvalId/approve': 'approve',
  'POST /api/v1/models/:name/approvals/:approvalId/reject': 'approve',
  // Apollo's own route: each operation's root fields are checked against GRAPHQL_PERMISSIONS.
  'POST /graphql': 'authenticated',
  'GET /graphql': 'authenticated',
};

/** Root fields of Query, Mutation and Subscription; `__schema` and `__type` are the GraphQL document. */
export const GRAPHQL_PERMISSIONS: Readonly<Record<string, SurfacePermission>> = {
  'Query.__schema': 'documents',
  'Query.__type': 'documents',
  'Query.__typename': 'authenticated',
  'Query.whoami': 'authenticated',
  'Query.run': 'read',
  'Query.runs': 'read',
  'Query.experiment': 'read',
  'Query.experiments': 'read',
  'Query.sweep': 'read',
  'Query.runsReadingInput': 'read',
  'Query.artifactsWithDigest': 'read',
  'Query.runHistory': 'read',
  'Query.projectionLag': 'read',
  'Query.runMetricSeries': 'read',
  'Query.metricSeries': 'read',
  'Query.searchRuns': 'read',
  'Query.topRuns': 'read',
  'Query.bestRunPerGroup': 'read',
  'Query.compareRuns': 'read',
  'Query.sweepSummary': 'read',
  // An operator view: it names streams and event ids of every workspace.
  'Query.deadLetters': 'admin',
  // The whole log, every workspace's: breaks outside the caller's workspaces are shown without their details.
  'Query.auditVerify': 'admin',
  'Query.auditTrail': 'read',
  'Query.runAsOf': 'read',
  'Query.inclusionProof': 'read',
  // Subtree hashes only: nothing of any workspace's content.
  'Query.consistencyProof': 'read',
  'Query.registeredModels': 'read',
  'Query.registeredModel': 'read',
  'Query.modelAsOf': 'read',
  'Query.modelLineage': 'read',
  'Query.impact': 'read',
  // Mutations are the ingest API's commands, sent as the caller: the route checks the workspace's permission again.
  'Mutation.createRegisteredModel': 'write',
  'Mutation.renameRegisteredModel': 'write',
  'Mutation.deleteRegisteredModel': 'admin',
  'Mutation.setModelApprovalPolicy': 'admin',
  'Mutation.registerModelVersion': 'write',
  'Mutation.setModelVersionTags': 'write',
  'Mutation.deleteModelVersionTags': 'write',
  'Mutation.describeModelVersion': 'write',
  'Mutation.deleteModelVersion': 'admin',
  'Mutation.setAlias': 'write',
  'Mutation.deleteAlias': 'write',
  'Mutation.transitionStage': 'write',
  'Mutation.requestApproval': 'write',
  'Mutation.approve': 'approve',
  'Mutation.reject': 'approve',
  'Subscription.runStatusChanged': 'read',
  'Subscription.metricPoints': 'read',
};

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}
