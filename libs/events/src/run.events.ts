import type { EventEnvelope, NewEvent } from './envelope';

/**
 * Lifecycle and metric events of experiments and runs, named in the past tense.
 * Each carries `v`; when a payload changes shape, bump `v` and add an upcaster in upcasters.ts.
 */
export interface ExperimentCreated {
  type: 'experiment.created';
  v: 1;
  payload: { experimentId: string; name: string };
}

export interface RunCreated {
  type: 'run.created';
  v: 1;
  payload: { runId: string; experimentId: string; name: string; startTime: number };
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

export interface RunFailed {
  type: 'run.failed';
  v: 1;
  payload: { endTime: number; reason: string };
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

/** One metric key's points in columnar form; `timestamps` (ms) defaults to the event's occurredAt. */
export interface MetricSeriesBatch {
  key: string;
  steps: number[];
  values: number[];
  timestamps?: number[];
}

export interface MetricsLogged {
  type: 'metrics.logged';
  v: 1;
  payload: { runId: string; series: MetricSeriesBatch[] };
}

export type ExperimentEvent = ExperimentCreated;
export type RunLifecycleEvent =
  | RunCreated
  | RunParamsLogged
  | RunTagsSet
  | RunTagsDeleted
  | RunArtifactLogged
  | RunFinished
  | RunFailed
  | RunKilled;
export type RunlogEvent = ExperimentEvent | RunLifecycleEvent | MetricsLogged;
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
  run: (runId: string) => `run:${runId}`,
  metrics: (runId: string) => `metrics:${runId}`,
};

export const RUN_EVENT_TYPES: ReadonlySet<string> = new Set<RunLifecycleEvent['type']>([
  'run.created',
  'run.params_logged',
  'run.tags_set',
  'run.tags_deleted',
  'run.artifact_logged',
  'run.finished',
  'run.failed',
  'run.killed',
]);

export function countPoints(payload: MetricsLogged['payload']): number {
  let points = 0;
  for (const series of payload.series) points += series.steps.length;
  return points;
}
