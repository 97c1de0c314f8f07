import { tsvLinesBody, type ClickhouseReader, type ClickhouseWriter } from '../ports';
import { tsvMillis, tsvString } from '../tsv';
import { LOG_POSITION_COLUMNS, tsvPosition, type LogPosition } from './log-position';
import { scopeCondition, type ReadScope } from './read-scope';

/** A registered model as of its latest projected event (migration 012): the folded state, as JSON. */
export interface RegisteredModelRow {
  workspace: string;
  modelId: string;
  name: string;
  status: 'active' | 'deleted';
  stateJson: string;
  updatedAt: number;
  position: LogPosition;
}

export const REGISTERED_MODEL_COLUMNS = [
  'workspace',
  'model_id',
  'name',
  'status',
  'state',
  'updated_at',
  ...LOG_POSITION_COLUMNS,
] as const;

export const formatRegisteredModelRow = (row: RegisteredModelRow): string =>
  [
    tsvString(row.workspace),
    tsvString(row.modelId),
    tsvString(row.name),
    row.status,
    tsvString(row.stateJson),
    tsvMillis(row.updatedAt),
    tsvPosition(row.position),
  ].join('\t');

export interface ModelVersionRow {
  workspace: string;
  modelId: string;
  modelName: string;
  modelStatus: 'active' | 'deleted';
  /** 'deleted' once the version itself is (migration 015); its model may still be active. */
  versionStatus: 'active' | 'deleted';
  version: number;
  runId: string;
  artifactPath: string;
  sha256: string;
  stage: string;
  aliases: string[];
  registeredAt: number;
  registeredBy: string;
  position: LogPosition;
}

export const MODEL_VERSION_COLUMNS = [
  'workspace',
  'model_id',
  'model_name',
  'model_status',
  'version',
  'run_id',
  'artifact_path',
  'sha256',
  'stage',
  'aliases',
  'registered_at',
  'registered_by',
  ...LOG_POSITION_COLUMNS,
  'version_status',
] as const;

// Aliases are checked by the event schema (letters, digits, `_ . -`); anything else is dropped, never escaped.
const ALIAS = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export const formatModelVersionRow = (row: ModelVersionRow): string =>
  [
    tsvString(row.workspace),
    tsvString(row.modelId),
    tsvString(row.modelName),
    row.modelStatus,
    row.version,
    tsvString(row.runId),
    tsvString(row.artifactPath),
    tsvString(row.sha256),
    tsvString(row.stage),
    `[${row.aliases
      .filter((alias) => ALIAS.test(alias))
      .map((alias) => `'${alias}'`)
      .join(',')}]`,
    tsvMillis(row.registeredAt),
    tsvString(row.registeredBy),
    tsvPosition(row.position),
    row.versionStatus,
  ].join('\t');

export function insertRegisteredModels(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertRegisteredModels',
    table: 'registered_models',
    columns: REGISTERED_MODEL_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export function insertModelVersions(writer: ClickhouseWriter, lines: readonly string[]): Promise<void> {
  return writer.insert({
    name: 'insertModelVersions',
    table: 'model_versions',
    columns: MODEL_VERSION_COLUMNS,
    body: tsvLinesBody(lines),
  });
}

export interface RegisteredModelSnapshot {
  workspace: string;
  modelId: string;
  stateJson: string;
  offset: number;
}

const SNAPSHOT_SELECT = `SELECT workspace, model_id AS modelId, state AS stateJson, _log_offset AS offset`;

const toSnapshot = (row: Record<string, unknown>): RegisteredModelSnapshot => ({
  workspace: String(row.workspace),
  modelId: String(row.modelId),
  stateJson: String(row.stateJson),
  offset: Number(row.offset),
});

/** The latest projected state of each of these models (the projector evolves it with the next events). */
export async function getRegisteredModelSnapshots(
  reader: ClickhouseReader,
  modelIds: readonly string[],
): Promise<Map<string, RegisteredModelSnapshot>> {
  if (modelIds.length === 0) return new Map();
  const rows = await reader.query<Record<string, unknown>>({
    name: 'getRegisteredModelSnapshots',
    sql: `${SNAPSHOT_SELECT} FROM ${reader.database}.registered_models FINAL
            WHERE model_id IN {modelIds:Array(String)}`,
    params: { modelIds },
  });
  return new Map(rows.map((row) => [String(row.modelId), toSnapshot(row)]));
}

/** Models the scope sees, by name; deleted ones only when asked. */
export async function listRegisteredModels(
  reader: ClickhouseReader,
  scope: ReadScope,
  options: { nameContains?: string; name?: string; includeDeleted?: boolean; limit: number },
): Promise<RegisteredModelSnapshot[]> {
  const inScope = scopeCondition(scope);
  const rows = await reader.query<Record<string, unknown>>({
    name: 'listRegisteredModels',
    sql: `${SNAPSHOT_SELECT} FROM ${reader.database}.registered_models FINAL
            WHERE ${inScope.sql}
              AND ({includeDeleted:UInt8} = 1 OR status = 'active')
              AND ({name:Nullable(String)} IS NULL OR name = {name:Nullable(String)})
              AND positionCaseInsensitiveUTF8(name, {nameContains:String}) > 0
            ORDER BY name, workspace, model_id
            LIMIT {limit:UInt32}`,
    params: {
      ...inScope.params,
      includeDeleted: options.includeDeleted ? 1 : 0,
      name: options.name ?? null,
      nameContains: options.nameContains ?? '',
      limit: options.limit,
    },
  });
  return rows.map(toSnapshot);
}

export interface ModelVersionRef {
  workspace: string;
  modelId: string;
  modelName: string;
  version: number;
  runId: string;
  artifactPath: string;
  sha256: string;
  stage: string;
  aliases: string[];
}

/** Versions of live models made from these runs (what a run, a dataset or a commit reached in the registry). */
export async function listModelVersionsOfRuns(
  reader: ClickhouseReader,
  runIds: readonly string[],
  scope: ReadScope,
): Promise<ModelVersionRef[]> {
  if (runIds.length === 0) return [];
  const inScope = scopeCondition(scope);
  const rows = await reader.query<Record<string, unknown>>({
    name: 'listModelVersionsOfRuns',
    sql: `SELECT workspace, model_id AS modelId, model_name AS modelName, version, run_id AS runId,
                 artifact_path AS artifactPath, sha256, stage, aliases
            FROM ${reader.database}.model_versions FINAL
           WHERE run_id IN {runIds:Array(String)} AND model_status = 'active' AND version_status = 'active'
             AND ${inScope.sql}
           ORDER BY model_name, version`,
    params: { runIds, ...inScope.params },
  });
  return rows.map(modelVersionRefOf);
}

/** A model_versions row read with the columns aliased as the fields are named. */
export function modelVersionRefOf(row: Record<string, unknown>): ModelVersionRef {
  return {
    workspace: String(row.workspace),
    modelId: String(row.modelId),
    modelName: String(row.modelName),
    version: Number(row.version),
    runId: String(row.runId),
    artifactPath: String(row.artifactPath),
    sha256: String(row.sha256),
    stage: String(row.stage),
    aliases: (row.aliases as unknown[]).map(String),
  };
}

export interface StreamEventRow {
  id: string;
  type: string;
  actor: string;
  onBehalfOf: string | null;
  recordedAt: number;
  payloadJson: string;
  hash: string;
}

/** A stream's projected events of these types, in log order (a model's promotions, for its history). */
export async function listStreamEvents(
  reader: ClickhouseReader,
  stream: string,
  types: readonly string[],
  limit: number,
): Promise<StreamEventRow[]> {
  const rows = await reader.query<Record<string, unknown>>({
    name: 'listStreamEvents',
    sql: `SELECT id, type, actor, on_behalf_of AS onBehalfOf, toUnixTimestamp64Milli(recorded_at) AS recordedAt,
                 payload AS payloadJson, hash
            FROM ${reader.database}.events
           WHERE stream = {stream:String} AND type IN {types:Array(String)}
           ORDER BY _log_topic, _log_partition, _log_offset LIMIT 1 BY _log_topic, _log_partition, _log_offset
           LIMIT {limit:UInt32}`,
    params: { stream, types, limit },
  });
  return rows.map((row) => ({
    id: String(row.id),
    type: String(row.type),
    actor: String(row.actor),
    onBehalfOf: row.onBehalfOf === null ? null : String(row.onBehalfOf),
    recordedAt: Number(row.recordedAt),
    payloadJson: String(row.payloadJson),
    hash: String(row.hash),
  }));
}
