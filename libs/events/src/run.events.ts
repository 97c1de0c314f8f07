import type { EventEnvelope, NewEvent } from './envelope';
import type { ModelEvent, NameClaimEvent } from './model-registry.events';

/**
 * Lifecycle and metric events of experiments and runs, named in the past tense.
 * Each carries `v`; when a payload changes shape, bump `v` and add an upcaster in upcasters.ts.
 */
export interface ExperimentCreated {
  type: 'experiment.created';
  v: 1;
  payload: { experimentId: string; name: string };
}

export interface ExperimentRenamed {
  type: 'experiment.renamed';
  v: 1;
  payload: { name: string };
}

/** An archived experiment takes no new runs; its runs and their records stay as they are. */
export interface ExperimentArchived {
  type: 'experiment.archived';
  v: 1;
  payload: Record<string, never>;
}

export interface ExperimentRestored {
  type: 'experiment.restored';
  v: 1;
  payload: Record<string, never>;
}

/**
 * How long the experiment's raw metric points are kept, by each point's timestamp; null keeps them for ever (the
 * default). The rollups stay, so old charts still draw: only zooming below the finest rollup is lost.
 */
export interface ExperimentRetentionSet {
  type: 'experiment.retention_set';
  v: 1;
  payload: { rawPointsMaxAgeDays: number | null };
}

/** Labels on the experiment (MLflow's experiment tags): set or replaced per key. */
export interface ExperimentTagsSet {
  type: 'experiment.tags_set';
  v: 1;
  payload: { tags: Record<string, string> };
}

export interface ExperimentTagsDeleted {
  type: 'experiment.tags_deleted';
  v: 1;
  payload: { keys: string[] };
}

export type SweepMethod = 'grid' | 'random' | 'bayes' | 'manual';

/** A hyperparameter sweep: its search space as the scheduler was given it, and the metric it optimises. */
export interface SweepCreated {
  type: 'sweep.created';
  v: 1;
  payload: {
    sweepId: string;
    experimentId: string;
    name: string;
    method: SweepMethod;
    searchSpace: Record<string, unknown>;
    objective: { metric: string; goal: 'minimize' | 'maximize' } | null;
  };
}

/** v1 had no createdAt, sweep or parent: every v1 run started when it was created (upcasters.ts lifts it). */
export interface RunCreatedV1 {
  type: 'run.created';
  v: 1;
  payload: { runId: string; experimentId: string; name: string; startTime: number };
}

/** `startTime` is null for a queued run (made by a scheduler, started later by `run.started`). */
export interface RunCreated {
  type: 'run.created';
  v: 2;
  payload: {
    runId: string;
    experimentId: string;
    name: string;
    createdAt: number;
    startTime: number | null;
    sweepId: string | null;
    parentRunId: string | null;
  };
}

export interface RunStarted {
  type: 'run.started';
  v: 1;
  payload: { startTime: number };
}

export interface RunRenamed {
  type: 'run.renamed';
  v: 1;
  payload: { name: string };
}

/** Soft delete, as MLflow's lifecycle stage: hidden from listings and closed to writes until restored. */
export interface RunDeleted {
  type: 'run.deleted';
  v: 1;
  payload: Record<string, never>;
}

export interface RunRestored {
  type: 'run.restored';
  v: 1;
  payload: Record<string, never>;
}

/** Free text about the run (markdown by convention); an empty note clears it. */
export interface RunNoteSet {
  type: 'run.note_set';
  v: 1;
  payload: { note: string };
}

/** A dataset a run read: lineage from a model back to the exact data. */
export interface RunInput {
  name: string;
  digest: string;
  source: string | null;
  split: string | null;
  rows: number | null;
  schemaDigest: string | null;
  /** The schema as the client described it (MLflow's dataset schema JSON); absent in inputs logged before it was kept. */
  schema?: string | null;
  /** The client's profile of the data (MLflow's dataset profile JSON). */
  profile?: string | null;
  /** The input's own tags (MLflow's input tags beside the context, which is `split`). */
  tags?: Record<string, string>;
}

export interface RunInputsLogged {
  type: 'run.inputs_logged';
  v: 1;
  payload: { inputs: RunInput[] };
}

/** Where and from what a run came: captured by the client at run start. */
export interface RunContext {
  code?: {
    commit?: string;
    branch?: string;
    remote?: string;
    dirty?: boolean;
    diffDigest?: string;
    entryPoint?: string;
  };
  environment?: {
    runtime?: string;
    runtimeVersion?: string;
    platform?: string;
    arch?: string;
    lockfileDigest?: string;
    containerImageDigest?: string;
  };
  hardware?: {
    cpuModel?: string;
    cpuCount?: number;
    memoryBytes?: number;
    gpus?: { model: string; memoryBytes?: number }[];
  };
  seeds?: Record<string, number | string>;
  user?: string;
  host?: string;
}

export interface RunContextCaptured {
  type: 'run.context_captured';
  v: 1;
  payload: { context: RunContext };
}

/**
 * Nothing was heard from the run's client (no write, no heartbeat) for `timeoutMs` since `lastSeenAt`. Not an
 * ending: a client that comes back resumes the run (`run.resumed`), and its finish is still accepted.
 */
export interface RunMarkedStale {
  type: 'run.marked_stale';
  v: 1;
  payload: { lastSeenAt: number; timeoutMs: number };
}

export interface RunResumed {
  type: 'run.resumed';
  v: 1;
  payload: Record<string, never>;
}

export interface RunParamsLogged {
  type: 'run.params_logged';
  v: 1;
  payload: { params: Record<string, string> };
}

export interface RunTagsSet {
  type: 'run.tags_set';
  v: 1;
  payload: { tags: Record<string, string> };
}

export interface RunTagsDeleted {
  type: 'run.tags_deleted';
  v: 1;
  payload: { keys: string[] };
}

export interface RunFinished {
  type: 'run.finished';
  v: 1;
  payload: { endTime: number };
}

export interface RunFailedV1 {
  type: 'run.failed';
  v: 1;
  payload: { endTime: number; reason: string };
}

export interface RunFailed {
  type: 'run.failed';
  v: 2;
  payload: { endTime: number; reason: string; stackTrace: string | null };
}

export interface RunKilled {
  type: 'run.killed';
  v: 1;
  payload: { endTime: number; reason: string | null };
}

/**
 * A file stored under a run: its path in the run's artifact tree and the exact bytes (sha256 of the content in the
 * content-addressed store), so a model version can be traced to what was uploaded. A later upload to the same path
 * supersedes it; the log keeps both.
 */
export interface RunArtifactLogged {
  type: 'run.artifact_logged';
  v: 1;
  payload: { path: string; size: number; digest: string; contentType: string };
}

/** What a media item of a run shows: an image, a histogram ({edges, counts} JSON) or a table ({columns, rows}). */
export type MediaKind = 'image' | 'histogram' | 'table';
export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'histogram', 'table'];

/**
 * Rich media logged per step besides scalars (a confusion matrix, sample predictions, a distribution): the content
 * is an artifact of the run (content-addressed), and this names its key, step and kind. The same key and step
 * logged again supersedes it; the log keeps both.
 */
export interface RunMediaLogged {
  type: 'run.media_logged';
  v: 1;
  payload: {
    key: string;
    step: number;
    kind: MediaKind;
    path: string;
    size: number;
    digest: string;
    contentType: string;
  };
}

/** JSON has no NaN or infinities: they travel and are stored as these strings, and are kept as such. */
export type NonFiniteValue = 'NaN' | 'Infinity' | '-Infinity';
export type MetricValue = number | NonFiniteValue;

/** One metric key's points in columnar form; `timestamps` (ms) defaults to the event's occurredAt. */
export interface MetricSeriesBatch {
  key: string;
  steps: number[];
  values: MetricValue[];
  timestamps?: number[];
}

export interface MetricsLogged {
  type: 'metrics.logged';
  v: 1;
  /** `worker`: the process of a distributed job that logged the batch; absent for the default worker (''). */
  payload: { runId: string; worker?: string; series: MetricSeriesBatch[] };
}

export type ExperimentEvent =
  | ExperimentCreated
  | ExperimentRenamed
  | ExperimentArchived
  | ExperimentRestored
  | ExperimentRetentionSet
  | ExperimentTagsSet
  | ExperimentTagsDeleted;
export type SweepEvent = SweepCreated;
export type RunLifecycleEvent =
  | RunCreated
  | RunStarted
  | RunRenamed
  | RunDeleted
  | RunRestored
  | RunNoteSet
  | RunInputsLogged
  | RunContextCaptured
  | RunMarkedStale
  | RunResumed
  | RunParamsLogged
  | RunTagsSet
  | RunTagsDeleted
  | RunArtifactLogged
  | RunMediaLogged
  | RunFinished
  | RunFailed
  | RunKilled;
export type RunlogEvent =
  ExperimentEvent | SweepEvent | RunLifecycleEvent | MetricsLogged | ModelEvent | NameClaimEvent;
/** Shapes that are only ever read from the log, and lifted to the current version on read. */
export type SupersededEvent = RunCreatedV1 | RunFailedV1;
export type RunlogEventType = RunlogEvent['type'];

/** The event shape without the envelope's bookkeeping: what a decider returns. */
// Conditional types distribute over the union, so each member keeps its own type/payload pairing.
export type DomainEvent<E extends RunlogEvent = RunlogEvent> = E extends RunlogEvent
  ? Pick<E, 'type' | 'v' | 'payload'>
  : never;

export type StoredEvent<E extends RunlogEvent = RunlogEvent> = E extends RunlogEvent
  ? EventEnvelope<E['type'], E['payload']> & { v: E['v'] }
  : never;

export type NewRunlogEvent<E extends RunlogEvent = RunlogEvent> = E extends RunlogEvent
  ? NewEvent<E['type'], E['payload']>
  : never;

export const streams = {
  experiment: (experimentId: string) => `experiment:${experimentId}`,
  sweep: (sweepId: string) => `sweep:${sweepId}`,
  run: (runId: string) => `run:${runId}`,
  metrics: (runId: string) => `metrics:${runId}`,
};

export function countPoints(payload: MetricsLogged['payload']): number {
  let points = 0;
  for (const series of payload.series) points += series.steps.length;
  return points;
}
