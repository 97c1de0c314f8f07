import { v5 as uuidv5, validate as isUuid } from 'uuid';
import type { LineageRun, LineageRunRef, ModelLineage } from './lineage.models';

/**
 * A model version's lineage as an OpenLineage RunEvent (spec 2-0-2, https://openlineage.io/spec/2-0-2/OpenLineage.json):
 * the run is the job run, the experiment the job, the datasets it read (by digest) its inputs and the model version
 * its output. Pure: the event time is the run's end (or, while it runs, the version's registration), never now.
 *
 * Standard facets: `parent` (ParentRunFacet), `sourceCodeLocation` (when the run captured a remote that is a URL),
 * `jobType`, and `version` (DatasetVersionDatasetFacet: a dataset's digest, a model version's sha256). Runlog's
 * own facets are prefixed `runlog_` as the spec asks of custom facets: `runlog_run` (the Runlog run id, which
 * `run.runId` cannot carry when it is not a UUID, with status, experiment, sweep, params and tags),
 * `runlog_environment`, `runlog_sourceCode` (commit, branch, dirty, diff digest), `runlog_experiment`,
 * `runlog_dataset` and `runlog_modelVersion`.
 */

export const OPENLINEAGE_RUN_EVENT_SCHEMA =
  'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
/** Who produced the metadata: a URI naming the gateway (no URL is assumed to host Runlog). */
export const RUNLOG_PRODUCER = 'urn:runlog:gateway';
/** Runlog run ids that are not UUIDs become UUIDv5 under this namespace: the same run id, the same UUID. */
export const RUNLOG_RUN_UUID_NAMESPACE = 'b5543fad-0de4-4715-afc8-04103b74b561';
export const DATASET_NAMESPACE = 'runlog-dataset';

const STANDARD_FACETS = 'https://openlineage.io/spec/facets';
const FACET_SCHEMAS = {
  parent: `${STANDARD_FACETS}/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet`,
  sourceCodeLocation: `${STANDARD_FACETS}/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet`,
  jobType: `${STANDARD_FACETS}/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet`,
  version: `${STANDARD_FACETS}/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet`,
} as const;

type Facet = { _producer: string; _schemaURL: string } & Record<string, unknown>;
type Facets = Record<string, Facet>;

export interface OpenLineageDataset {
  namespace: string;
  name: string;
  facets: Facets;
}

export interface OpenLineageRunEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';
  eventTime: string;
  run: { runId: string; facets: Facets };
  job: { namespace: string; name: string; facets: Facets };
  inputs: OpenLineageDataset[];
  outputs: OpenLineageDataset[];
  producer: string;
  schemaURL: string;
}

const standard = (name: keyof typeof FACET_SCHEMAS, fields: Record<string, unknown>): Facet => ({
  _producer: RUNLOG_PRODUCER,
  _schemaURL: FACET_SCHEMAS[name],
  ...fields,
});

/** A Runlog facet: its schema named by a URN with the facet's JSON pointer, versioned like the spec's. */
const custom = (name: string, fields: Record<string, unknown>): Facet => ({
  _producer: RUNLOG_PRODUCER,
  _schemaURL: `urn:runlog:openlineage:facets:1-0-0#/$defs/${name}`,
  ...withoutNulls(fields),
});

function withoutNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== null && value !== undefined),
  );
}

/** The run's id as OpenLineage needs it: itself when a UUID (lower case), else a UUIDv5 derived from it. */
export function openLineageRunId(runId: string): string {
  return isUuid(runId) ? runId.toLowerCase() : uuidv5(runId, RUNLOG_RUN_UUID_NAMESPACE);
}

export const jobNamespace = (workspace: string) => `runlog/${workspace}`;

/** The run's status as the transition OpenLineage names: an ended run completed, failed or was aborted. */
export function eventTypeOf(status: string | undefined): OpenLineageRunEvent['eventType'] {
  switch (status) {
    case 'finished':
      return 'COMPLETE';
    case 'failed':
      return 'FAIL';
    case 'killed':
      return 'ABORT';
    case 'running':
    case 'stale':
      return 'RUNNING';
    case 'queued':
      return 'START';
    default:
      return 'OTHER';
  }
}

const jobName = (run: { experimentId: string; experimentName: string | null }) =>
  run.experimentName ?? run.experimentId;

function runFacets(lineage: ModelLineage, run: LineageRun | null): Facets {
  const facets: Facets = {};
  if (run?.parent) facets.parent = standard('parent', parentOf(run.workspace, run.parent));
  facets.runlog_run = custom('RunlogRunRunFacet', {
    runId: lineage.runId,
    workspace: lineage.workspace,
    name: run?.name ?? null,
    status: run?.status ?? null,
    deleted: run?.deleted ?? null,
    experimentId: run?.experimentId ?? null,
    sweep: run?.sweep ?? null,
    params: run ? Object.fromEntries(run.params.map(({ key, value }) => [key, value])) : null,
    tags: run ? Object.fromEntries(run.tags.map(({ key, value }) => [key, value])) : null,
  });
  if (lineage.environment || lineage.hardware || lineage.seeds.length > 0) {
    facets.runlog_environment = custom('RunlogEnvironmentRunFacet', {
      ...lineage.environment,
      hardware: lineage.hardware,
      seeds: Object.fromEntries(lineage.seeds.map(({ key, value }) => [key, value])),
    });
  }
  return facets;
}

function parentOf(workspace: string, parent: LineageRunRef) {
  return {
    run: { runId: openLineageRunId(parent.runId) },
    job: { namespace: jobNamespace(workspace), name: jobName(parent) },
  };
}

function jobFacets(lineage: ModelLineage): Facets {
  const facets: Facets = {
    jobType: standard('jobType', { processingType: 'BATCH', integration: 'RUNLOG', jobType: 'JOB' }),
  };
  if (lineage.run) {
    facets.runlog_experiment = custom('RunlogExperimentJobFacet', {
      experimentId: lineage.run.experimentId,
    });
  }
  const code = lineage.code;
  if (!code) return facets;
  if (code.remote && isUrl(code.remote)) {
    facets.sourceCodeLocation = standard('sourceCodeLocation', {
      type: 'git',
      url: code.remote,
      repoUrl: code.remote,
      ...withoutNulls({ version: code.commit, branch: code.branch, path: code.entryPoint }),
    });
  }
  facets.runlog_sourceCode = custom('RunlogSourceCodeJobFacet', { ...code });
  return facets;
}

function isUrl(text: string): boolean {
  try {
    return ['http:', 'https:', 'ssh:', 'git:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function inputs(lineage: ModelLineage): OpenLineageDataset[] {
  return lineage.inputs.map((input) => ({
    namespace: DATASET_NAMESPACE,
    name: input.source ?? input.name,
    facets: {
      version: standard('version', { datasetVersion: input.digest }),
      runlog_dataset: custom('RunlogDatasetDatasetFacet', {
        digest: input.digest,
        name: input.name,
        source: input.source,
        split: input.split,
        rows: input.rows,
        schemaDigest: input.schemaDigest,
      }),
    },
  }));
}

function output(lineage: ModelLineage): OpenLineageDataset {
  return {
    namespace: `runlog-registry/${lineage.workspace}`,
    name: `${lineage.model}/${lineage.version}`,
    facets: {
      version: standard('version', { datasetVersion: lineage.sha256 }),
      runlog_modelVersion: custom('RunlogModelVersionDatasetFacet', {
        modelId: lineage.modelId,
        model: lineage.model,
        version: lineage.version,
        sha256: lineage.sha256,
        artifactPath: lineage.artifactPath,
        stage: lineage.stage,
        aliases: lineage.aliases,
        registeredAt: new Date(lineage.registeredAt).toISOString(),
        registeredBy: lineage.registeredBy,
      }),
    },
  };
}

export function toOpenLineageRunEvent(lineage: ModelLineage): OpenLineageRunEvent {
  const run = lineage.run;
  return {
    eventType: eventTypeOf(run?.status),
    eventTime: new Date(run?.endTime ?? lineage.registeredAt).toISOString(),
    run: { runId: openLineageRunId(lineage.runId), facets: runFacets(lineage, run) },
    job: {
      namespace: jobNamespace(lineage.workspace),
      name: run ? jobName(run) : lineage.model,
      facets: jobFacets(lineage),
    },
    inputs: inputs(lineage),
    outputs: [output(lineage)],
    producer: RUNLOG_PRODUCER,
    schemaURL: OPENLINEAGE_RUN_EVENT_SCHEMA,
  };
}
