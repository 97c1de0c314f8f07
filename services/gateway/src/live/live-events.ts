import { upcast } from '../../../../libs/events/src/upcasters';
import type { MetricSeriesBatch, StoredEvent } from '../../../../libs/events/src/run.events';
import type { LogRecord } from '../../../../libs/log/src/event-log';
import type { RunStatus } from '../../../../libs/domain/src/run/run.decider';
import { TERMINAL_STATUSES } from '../../../../libs/domain/src/run/run.decider';

/** A run's status as the log just changed it. */
export interface StatusChange {
  kind: 'status';
  runId: string;
  /** The workspace the event was written in: a subscriber sees only its read scope's. */
  workspace: string;
  status: RunStatus;
  /** Epoch ms: the start or end time the event records, else when it occurred. */
  at: number;
  terminal: boolean;
  /** Why a run failed or was killed. */
  reason: string | null;
}

/** Points of one metrics.logged record, still columnar: a subscriber reads only the keys it watches. */
export interface PointsLogged {
  kind: 'points';
  runId: string;
  workspace: string;
  series: MetricSeriesBatch[];
  /** Timestamp of points logged without one (the event's occurredAt). */
  defaultTimestamp: number;
}

export type LiveEvent = StatusChange | PointsLogged;

const RUN_STREAM = 'run:';

/**
 * What a record means to live subscribers, or null when nothing (params, tags, experiments, a record the
 * gateway cannot read). Only the events that move a run's status (run.decider.ts's evolveRun) make a change; the
 * decider records them only when they do, so the event alone says the new status.
 */
export function toLiveEvent(record: LogRecord): LiveEvent | null {
  let event: StoredEvent;
  try {
    event = upcast(record.event);
  } catch {
    // An event type newer than this gateway: the projector dead-letters it; live subscribers just miss it.
    return null;
  }
  if (event.type === 'metrics.logged') {
    return {
      kind: 'points',
      runId: event.payload.runId,
      workspace: event.workspace,
      series: event.payload.series,
      defaultTimestamp: Date.parse(event.occurredAt),
    };
  }
  if (!event.stream.startsWith(RUN_STREAM)) return null;
  const runId = event.stream.slice(RUN_STREAM.length);
  const occurredAt = Date.parse(event.occurredAt);
  const change = (status: RunStatus, at: number, reason: string | null = null): StatusChange => ({
    kind: 'status',
    runId,
    workspace: event.workspace,
    status,
    at,
    terminal: TERMINAL_STATUSES.has(status),
    reason,
  });
  switch (event.type) {
    case 'run.created':
      return event.payload.startTime === null
        ? change('queued', event.payload.createdAt)
        : change('running', event.payload.startTime);
    case 'run.started':
      return change('running', event.payload.startTime);
    case 'run.marked_stale':
      return change('stale', occurredAt);
    case 'run.resumed':
      return change('running', occurredAt);
    case 'run.finished':
      return change('finished', event.payload.endTime);
    case 'run.failed':
      return change('failed', event.payload.endTime, event.payload.reason);
    case 'run.killed':
      return change('killed', event.payload.endTime, event.payload.reason);
    default:
      return null;
  }
}

/** A logged value as a number: JSON carries NaN and the infinities as these strings. */
export function metricValue(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}
