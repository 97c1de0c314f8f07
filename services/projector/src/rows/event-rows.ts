import {
  countPoints,
  type DomainEvent,
  type ExperimentEvent,
  type RunLifecycleEvent,
  type StoredEvent,
} from '../../../../libs/events/src/run.events';
import { evolveRun, initialRunState, type RunState } from '../../../../libs/domain/src/run/run.decider';
import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import type { LogPosition, ProjectedTable } from '../../../../libs/store/src/tables/log-position';
import {
  appendMetricPointLines,
  formatArtifactRow,
  formatEventRow,
  formatExperimentRow,
  formatParamRow,
  formatRunInputRow,
  formatRunRow,
  formatSweepRow,
  formatTagRow,
} from '../../../../libs/store/src/tables/projection-rows';

/** An experiment's row as the projection keeps it: evolved event by event from the row it last wrote. */
export interface ExperimentSnapshot {
  experimentId: string;
  name: string;
  createdAt: number;
  archived: boolean;
}

/** TSV lines per table for one batch, plus the runs whose snapshot changed (written once, at the batch's end). */
export class BatchRows {
  readonly lines: Record<ProjectedTable, string[]> = {
    events: [],
    experiments: [],
    sweeps: [],
    runs: [],
    params: [],
    tags: [],
    run_inputs: [],
    artifacts: [],
    metric_points: [],
  };
  readonly touchedRuns = new Map<string, { state: RunState; position: LogPosition }>();
  readonly touchedExperiments = new Map<string, { state: ExperimentSnapshot; position: LogPosition }>();
  points = 0;

  /** Snapshot rows of the runs and experiments this batch changed, at the position of each one's last event. */
  finishSnapshots(): void {
    for (const [runId, { state, position }] of this.touchedRuns) {
      if (state.status === 'absent') continue;
      const ended = 'endTime' in state;
      this.lines.runs.push(
        formatRunRow({
          runId,
          experimentId: state.experimentId,
          name: state.name,
          status: state.status,
          // A queued run has no start yet; the column holds its creation, and the status says it is queued.
          startTime: state.startTime ?? state.createdAt,
          endTime: ended ? state.endTime : null,
          failureReason: ended ? state.failureReason : null,
          createdAt: state.createdAt,
          sweepId: state.sweepId,
          parentRunId: state.parentRunId,
          deleted: state.deleted,
          note: state.note,
          stackTrace: ended ? state.stackTrace : null,
          contextJson: state.context ? JSON.stringify(state.context) : '',
          started: state.startTime !== null,
          position,
        }),
      );
    }
    for (const { state, position } of this.touchedExperiments.values()) {
      this.lines.experiments.push(formatExperimentRow({ ...state, position }));
    }
  }
}

/** Rows a record adds to metric_points (0 for lifecycle events); read from the envelope, no upcast needed. */
export function recordPoints(record: LogRecord): number {
  const payload = record.event.payload as { series?: { steps?: unknown[] }[] } | null;
  let points = 0;
  if (record.event.type === 'metrics.logged' && Array.isArray(payload?.series)) {
    for (const series of payload.series) points += Array.isArray(series.steps) ? series.steps.length : 0;
  }
  return points;
}

/** Consecutive groups of records holding at most `maxPoints` points each (a bigger record forms its own group). */
export function splitByPoints(records: LogRecord[], maxPoints: number): LogRecord[][] {
  const groups: LogRecord[][] = [];
  let current: LogRecord[] = [];
  let points = 0;
  for (const record of records) {
    const size = recordPoints(record);
    if (current.length > 0 && points + size > maxPoints) {
      groups.push(current);
      current = [];
      points = 0;
    }
    current.push(record);
    points += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Which tables still need a record: the projector skips tables that already hold its offset (after a crash). */
export type NeedsTable = (table: ProjectedTable) => boolean;

export function runIdOfStream(stream: string): string {
  return stream.slice(stream.indexOf(':') + 1);
}

const epochMillis = (iso: string) => Date.parse(iso);

/**
 * Pure: one event → rows. Run snapshots evolve through the same `evolveRun` the deciders use, so the projection
 * and the write side cannot disagree on what an event means. `event` is upcast; `written` is the envelope as the
 * log holds it, which the events table keeps so an auditor can recompute its hash from the row.
 */
export function addEventRows(
  rows: BatchRows,
  event: StoredEvent,
  position: LogPosition,
  needs: NeedsTable,
  prior: { run?: RunState; experiment?: ExperimentSnapshot },
  written: EventEnvelope = event,
): void {
  if (needs('events')) rows.lines.events.push(formatEventRow(eventRow(event, written, position)));
  switch (event.type) {
    case 'experiment.created':
    case 'experiment.renamed':
    case 'experiment.archived':
    case 'experiment.restored': {
      if (!needs('experiments')) return;
      const experimentId = runIdOfStream(event.stream);
      const before = rows.touchedExperiments.get(experimentId)?.state ?? prior.experiment;
      const state = evolveExperimentSnapshot(before, event);
      if (state) rows.touchedExperiments.set(experimentId, { state, position });
      return;
    }
    case 'sweep.created':
      if (needs('sweeps')) {
        const { searchSpace, ...sweep } = event.payload;
        rows.lines.sweeps.push(
          formatSweepRow({
            ...sweep,
            searchSpaceJson: JSON.stringify(searchSpace),
            createdAt: epochMillis(event.occurredAt),
            position,
          }),
        );
      }
      return;
    case 'metrics.logged': {
      if (!needs('metric_points')) return;
      const defaultTimestamp = epochMillis(event.occurredAt);
      for (const series of event.payload.series) {
        appendMetricPointLines(
          rows.lines.metric_points,
          event.payload.runId,
          series.key,
          series.steps,
          series.values,
          series.timestamps,
          defaultTimestamp,
          position,
        );
      }
      rows.points += countPoints(event.payload);
      return;
    }
    default: {
      const runId = runIdOfStream(event.stream);
      if (event.type === 'run.params_logged' && needs('params')) {
        for (const [key, value] of Object.entries(event.payload.params)) {
          rows.lines.params.push(formatParamRow({ runId, key, value, position }));
        }
      }
      if (event.type === 'run.tags_set' && needs('tags')) {
        for (const [key, value] of Object.entries(event.payload.tags)) {
          rows.lines.tags.push(formatTagRow({ runId, key, value, deleted: false, position }));
        }
      }
      // A newer row with _is_deleted = 1 makes `tags FINAL` drop the key (ReplacingMergeTree(_version, _is_deleted)).
      if (event.type === 'run.tags_deleted' && needs('tags')) {
        for (const key of event.payload.keys) {
          rows.lines.tags.push(formatTagRow({ runId, key, value: '', deleted: true, position }));
        }
      }
      if (event.type === 'run.inputs_logged' && needs('run_inputs')) {
        const loggedAt = epochMillis(event.occurredAt);
        for (const input of event.payload.inputs) {
          rows.lines.run_inputs.push(formatRunInputRow({ runId, input, loggedAt, position }));
        }
      }
      if (event.type === 'run.artifact_logged' && needs('artifacts')) {
        rows.lines.artifacts.push(
          formatArtifactRow({ runId, ...event.payload, loggedAt: epochMillis(event.occurredAt), position }),
        );
      }
      if (needs('runs')) {
        const before = rows.touchedRuns.get(runId)?.state ?? prior.run ?? initialRunState;
        rows.touchedRuns.set(runId, {
          state: evolveRun(before, event as DomainEvent<RunLifecycleEvent>),
          position,
        });
      }
    }
  }
}

function evolveExperimentSnapshot(
  before: ExperimentSnapshot | undefined,
  event: StoredEvent<ExperimentEvent>,
): ExperimentSnapshot | undefined {
  if (event.type === 'experiment.created') {
    return { ...event.payload, createdAt: epochMillis(event.occurredAt), archived: false };
  }
  if (!before) return undefined;
  switch (event.type) {
    case 'experiment.renamed':
      return { ...before, name: event.payload.name };
    case 'experiment.archived':
      return { ...before, archived: true };
    case 'experiment.restored':
      return { ...before, archived: false };
  }
}

/** Metric batches keep a summary of their payload here: the points themselves are in metric_points, the bytes in the log. */
function eventRow(event: StoredEvent, written: EventEnvelope, position: LogPosition) {
  const payload =
    event.type === 'metrics.logged'
      ? {
          runId: event.payload.runId,
          points: countPoints(event.payload),
          keys: event.payload.series.map((s) => s.key),
        }
      : written.payload;
  return {
    id: event.id,
    type: event.type,
    v: written.v,
    stream: event.stream,
    workspace: event.workspace,
    actor: event.actor,
    occurredAt: epochMillis(event.occurredAt),
    recordedAt: epochMillis(event.recordedAt),
    prevHash: event.prevHash,
    hash: event.hash,
    payloadJson: JSON.stringify(payload),
    position,
  };
}
