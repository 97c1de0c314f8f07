import type { ClickhouseReader } from '../ports';
import { scopeCondition, type ReadScope } from './read-scope';
import { modelVersionRefOf, type ModelVersionRef } from './registry.table';
import { RUN_SELECT, toRunView, type RawRun, type RunView } from './runs.table';

/**
 * Lineage reads over the projections, both ways: from a model version back to the run it came from (the run's own
 * inputs, artifacts, params and tags are read with their tables' functions), and from a dataset digest or a code
 * commit forward to the runs that used it and their descendants. Every read is scoped in SQL, so a limit counts
 * only what the caller sees and another workspace's rows answer as absent.
 */

export interface ModelVersionLineageRow extends ModelVersionRef {
  registeredAt: number;
  registeredBy: string;
}

/**
 * One version of a live model by its name, in `workspace` or else in any workspace the scope sees (the first by
 * workspace). No workspace is '' rather than a NULL parameter, which the chDB HTTP front reads as the string `N`.
 */
export async function findModelVersion(
  reader: ClickhouseReader,
  scope: ReadScope,
  by: { model: string; version: number; workspace?: string },
): Promise<ModelVersionLineageRow | null> {
  const inScope = scopeCondition(scope);
  const rows = await reader.query<Record<string, unknown>>({
    name: 'findModelVersion',
    sql: `SELECT workspace, model_id AS modelId, model_name AS modelName, version, run_id AS runId,
                 artifact_path AS artifactPath, sha256, stage, aliases,
                 toUnixTimestamp64Milli(registered_at) AS registeredAt, registered_by AS registeredBy
            FROM ${reader.database}.model_versions FINAL
           WHERE model_name = {model:String} AND version = {version:UInt32} AND model_status = 'active'
             AND version_status = 'active'
             AND ({workspace:String} = '' OR workspace = {workspace:String})
             AND ${inScope.sql}
           ORDER BY workspace, model_id
           LIMIT 1`,
    params: { model: by.model, version: by.version, workspace: by.workspace ?? '', ...inScope.params },
  });
  if (rows.length === 0) return null;
  const row = rows[0];
  return {
    ...modelVersionRefOf(row),
    registeredAt: Number(row.registeredAt),
    registeredBy: String(row.registeredBy),
  };
}

/** What an impact walk starts from: the runs that read a dataset, or the runs whose captured code is a commit. */
export type ImpactOrigin = { datasetDigest: string } | { commit: string };

/**
 * Runs (deleted ones too: a model version made from one is still live) that read the dataset with this digest, or
 * whose context names this commit, oldest first. Commits match when one is a prefix of the other, so a short
 * commit finds runs that recorded the full one and the other way round.
 */
export async function findRunsOfOrigin(
  reader: ClickhouseReader,
  origin: ImpactOrigin,
  scope: ReadScope,
  limit: number,
): Promise<RunView[]> {
  const inScope = scopeCondition(scope);
  const byDigest = 'datasetDigest' in origin;
  const used = byDigest
    ? `run_id IN (SELECT run_id FROM ${reader.database}.run_inputs FINAL WHERE digest = {digest:String})`
    : `(JSONExtractString(context, 'code', 'commit') AS code_commit) != ''
             AND (startsWith(code_commit, {commit:String}) OR startsWith({commit:String}, code_commit))`;
  const found = await reader.query<RawRun>({
    name: byDigest ? 'findRunsOfDigest' : 'findRunsOfCommit',
    sql: `${RUN_SELECT} FROM ${reader.database}.runs FINAL
           WHERE ${used}
             AND ${inScope.sql}
           ORDER BY created_at, run_id LIMIT {limit:UInt32}`,
    params: {
      ...(byDigest ? { digest: origin.datasetDigest } : { commit: origin.commit }),
      ...inScope.params,
      limit,
    },
  });
  return found.map(toRunView);
}

/**
 * The children (deleted ones too) of these runs that the scope sees, but for the runs `excluding` names (ones a
 * walk already holds), oldest first: one level of descent.
 */
export async function findChildRuns(
  reader: ClickhouseReader,
  parentRunIds: readonly string[],
  scope: ReadScope,
  options: { limit: number; excluding?: readonly string[] },
): Promise<RunView[]> {
  if (parentRunIds.length === 0 || options.limit <= 0) return [];
  const inScope = scopeCondition(scope);
  const found = await reader.query<RawRun>({
    name: 'findChildRuns',
    sql: `${RUN_SELECT} FROM ${reader.database}.runs FINAL
           WHERE parent_run_id IN {parents:Array(String)} AND run_id NOT IN {excluding:Array(String)}
             AND ${inScope.sql}
           ORDER BY created_at, run_id LIMIT {limit:UInt32}`,
    params: {
      parents: parentRunIds,
      excluding: options.excluding ?? [],
      ...inScope.params,
      limit: options.limit,
    },
  });
  return found.map(toRunView);
}
