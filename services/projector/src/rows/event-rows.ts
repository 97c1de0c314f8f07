import {
  countPoints,
  type DomainEvent,
  type ExperimentEvent,
  type RunLifecycleEvent,
  type StoredEvent,
} from '../../../../libs/events/src/run.events';
import { evolveRun, initialRunState, type RunState } from '../../../../libs/domain/src/run/run.decider';
import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import {
  findUnstorableValue,
  firstUnstorableMillis,
  storableString,
  storableTime,
  storableUuid,
  UnstorableValueError,
  unstorableMillisReason,
} from '../../../../libs/events/src/storable';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import {
  MetricPointColumns,
  formatArtifactRow,
  formatEventRow,
  formatExperimentRow,
  formatParamRow,
  formatRunInputRow,
  formatRunMediaRow,
  formatRunRow,
  formatSweepRow,
  formatTagRow,
  type ExperimentView,
  type LogPosition,
  type ProjectedRows,
  type ProjectedTable,
} from '../../../../libs/store/src';

/** An experiment's row as the projection keeps it: evolved event by event from the row it last wrote. */
export type ExperimentSnapshot = ExperimentView;

/** TSV lines per table for one batch, plus the runs whose snapshot changed (written once, at the batch's end). */
export class BatchRows {
  readonly lines: ProjectedRows = {
    events: [],
    experiments: [],
    sweeps: [],
    runs: [],
    params: [],
    tags: [],
    run_inputs: [],
    artifacts: [],
    run_media: [],
    metric_points: new MetricPointColumns(),
  };
  readonly touchedRuns = new Map<string, { state: RunState; position: LogPosition; workspace: string }>();
  readonly touchedExperiments = new Map<string, { state: ExperimentSnapshot; position: LogPosition }>();
  points = 0;

  /** Snapshot rows of the runs and experiments this batch changed, at the position of each one's last event. */
  finishSnapshots(): void {
    for (const [runId, { state, position, workspace }] of this.touchedRuns) {
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
          workspace,
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

/** Payload times that rows hold as DateTime64 (the run snapshot's start, end and creation). */
const PAYLOAD_TIMES = ['startTime', 'endTime', 'createdAt', 'lastSeenAt'] as const;
/** Payload parts kept as JSON text, where any string is storable (JSON.stringify escapes a lone surrogate). */
const KEPT_AS_JSON = new Set(['searchSpace', 'context']);

/**
 * The rules of libs/events/src/storable.ts, applied to a record already in the log: what can be made storable
 * without loss is (the id's spelling), anything else throws UnstorableValueError naming the field, and the projector
 * dead-letters the record (`unstorable_value`) instead of sending ClickHouse a row it would refuse or clamp.
 */
function checkStorable(event: StoredEvent): { id: string; occurredAt: number; recordedAt: number } {
  const checked = {
    id: storableUuid(event.id, 'id'),
    occurredAt: storableTime(event.occurredAt, 'occurredAt'),
    recordedAt: storableTime(event.recordedAt, 'recordedAt'),
  };
  storableString(event.stream, 'stream');
  storableString(event.workspace, 'workspace');
  storableString(event.actor, 'actor');
  if (event.onBehalfOf !== undefined) storableString(event.onBehalfOf, 'onBehalfOf');
  const payload = event.payload as Record<string, unknown>;
  if (event.type === 'metrics.logged') {
    event.payload.series.forEach((series, index) => {
      const at = series.timestamps ? firstUnstorableMillis(series.timestamps) : -1;
      if (at >= 0) {
        const field = `payload.series[${index}].timestamps[${at}]`;
        throw new UnstorableValueError(field, unstorableMillisReason(series.timestamps?.[at] ?? NaN) ?? '');
      }
    });
    return checked;
  }
  for (const name of PAYLOAD_TIMES) {
    const value = payload[name];
    const reason = typeof value === 'number' ? unstorableMillisReason(value) : null;
    if (reason !== null) throw new UnstorableValueError(`payload.${name}`, reason);
  }
  const written = Object.fromEntries(Object.entries(payload).filter(([key]) => !KEPT_AS_JSON.has(key)));
  const finding = findUnstorableValue(written, Number.POSITIVE_INFINITY);
  if (finding) throw new UnstorableValueError(`payload.${finding.field}`, finding.message);
  return checked;
}

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
  const storable = checkStorable(event);
  if (needs('events')) rows.lines.events.push(formatEventRow(eventRow(event, written, position, storable)));
  switch (event.type) {
    case 'experiment.created':
    case 'experiment.renamed':
    case 'experiment.archived':
    case 'experiment.restored':
    case 'experiment.retention_set':
    case 'experiment.tags_set':
    case 'experiment.tags_deleted': {
      if (!needs('experiments')) return;
      const experimentId = runIdOfStream(event.stream);
      const before = rows.touchedExperiments.get(experimentId)?.state ?? prior.experiment;
      const state = evolveExperimentSnapshot(before, event, storable.occurredAt);
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
            createdAt: storable.occurredAt,
            position,
            workspace: event.workspace,
          }),
        );
      }
      return;
    case 'metrics.logged': {
      if (!needs('metric_points')) return;
      const defaultTimestamp = storable.occurredAt;
      const worker = event.payload.worker ?? '';
      for (const series of event.payload.series) {
        rows.lines.metric_points.append(
          event.payload.runId,
          series.key,
          series.steps,
          series.values,
          series.timestamps,
          defaultTimestamp,
          position,
          worker,
        );
      }
      rows.points += countPoints(event.payload);
      return;
    }
    // A name's claims (experiment names are unique per workspace) are only in the events table.
    case 'name.claimed':
    case 'name.released':
      return;
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
        const loggedAt = storable.occurredAt;
        for (const input of event.payload.inputs) {
          rows.lines.run_inputs.push(formatRunInputRow({ runId, input, loggedAt, position }));
        }
      }
      if (event.type === 'run.media_logged' && needs('run_media')) {
        rows.lines.run_media.push(
          formatRunMediaRow({ runId, media: event.payload, loggedAt: storable.occurredAt, position }),
        );
      }
      if (event.type === 'run.artifact_logged' && needs('artifacts')) {
        rows.lines.artifacts.push(
          formatArtifactRow({ runId, ...event.payload, loggedAt: storable.occurredAt, position }),
        );
      }
      if (needs('runs')) {
        const before = rows.touchedRuns.get(runId)?.state ?? prior.run ?? initialRunState;
        rows.touchedRuns.set(runId, {
          state: evolveRun(before, event as DomainEvent<RunLifecycleEvent>),
          position,
          // The command side stamps every event of a stream with the stream's workspace.
          workspace: event.workspace,
        });
      }
    }
  }
}

function evolveExperimentSnapshot(
  before: ExperimentSnapshot | undefined,
  event: StoredEvent<ExperimentEvent>,
  occurredAt: number,
): ExperimentSnapshot | undefined {
  const { workspace } = event;
  if (event.type === 'experiment.created') {
    return {
      ...event.payload,
      workspace,
      createdAt: occurredAt,
      archived: false,
      rawPointsMaxAgeDays: null,
      tags: {},
    };
  }
  if (!before) return undefined;
  switch (event.type) {
    case 'experiment.renamed':
      return { ...before, workspace, name: event.payload.name };
    case 'experiment.archived':
      return { ...before, workspace, archived: true };
    case 'experiment.restored':
      return { ...before, workspace, archived: false };
    case 'experiment.retention_set':
      return { ...before, workspace, rawPointsMaxAgeDays: event.payload.rawPointsMaxAgeDays };
    case 'experiment.tags_set':
      return { ...before, workspace, tags: { ...before.tags, ...event.payload.tags } };
    case 'experiment.tags_deleted': {
      const deleted = new Set(event.payload.keys);
      return {
        ...before,
        workspace,
        tags: Object.fromEntries(Object.entries(before.tags).filter(([key]) => !deleted.has(key))),
      };
    }
  }
}

/** Metric batches keep a summary of their payload here: the points themselves are in metric_points, the bytes in the log. */
/** The events table's line of a record of any topic, refusing what the store cannot hold (UnstorableValueError). */
export function eventLineOf(event: StoredEvent, written: EventEnvelope, position: LogPosition): string {
  return formatEventRow(eventRow(event, written, position, checkStorable(event)));
}

function eventRow(
  event: StoredEvent,
  written: EventEnvelope,
  position: LogPosition,
  storable: { id: string; occurredAt: number; recordedAt: number },
) {
  const payload =
    event.type === 'metrics.logged'
      ? {
          runId: event.payload.runId,
          points: countPoints(event.payload),
          keys: event.payload.series.map((s) => s.key),
        }
      : written.payload;
  return {
    id: storable.id,
    type: event.type,
    v: written.v,
    stream: event.stream,
    workspace: event.workspace,
    actor: event.actor,
    occurredAt: storable.occurredAt,
    recordedAt: storable.recordedAt,
    prevHash: event.prevHash,
    hash: event.hash,
    payloadJson: JSON.stringify(payload),
    position,
    requestDigest: written.requestDigest ?? null,
    onBehalfOf: written.onBehalfOf ?? null,
  };
}
