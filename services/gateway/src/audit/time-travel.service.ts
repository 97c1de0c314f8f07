import { Inject, Injectable } from '@nestjs/common';
import { can, type Principal } from '../../../../libs/access/src';
import { chainIntact, readRecorded } from '../../../../libs/audit/src';
import { ConcurrencyError, ValidationError } from '../../../../libs/domain/src/errors';
import { foldRun } from '../../../../libs/domain/src/folds';
import type { EventEnvelope } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import { EVENT_LOG, type EventLog, type LogRecord } from '../../../../libs/log/src/event-log';
import {
  CLICKHOUSE,
  getStreamPositions,
  inReadScope,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
} from '../../../../libs/store/src';
import type { AuditTrail, RecordedEvent, RunAsOf } from './time-travel.models';

/** Streams that only an admin of their workspace reads whole: token hashes, the projector's own records. */
const ADMIN_STREAMS = ['token:', 'deadletter:'];

/** Every event of a stream up to an instant: far more than any run's or model's lifecycle holds. */
const MAX_FOLDED_EVENTS = 100_001;

/**
 * Time travel from the log itself: the events table says where a stream's events are, and they are read back from
 * the log as recorded, so what is answered can be checked hash by hash. A stream of another workspace answers as
 * one that has no events.
 */
@Injectable()
export class TimeTravelService {
  private readonly reader: ClickhouseReader;

  constructor(
    @Inject(CLICKHOUSE) ch: ClickHouse,
    @Inject(EVENT_LOG) private readonly log: EventLog,
  ) {
    this.reader = readerFor(ch);
  }

  async auditTrail(
    stream: string,
    window: { fromMs?: number; toMs?: number; limit: number },
    caller: { scope: ReadScope; principal: Principal },
  ): Promise<AuditTrail> {
    const positions = await getStreamPositions(this.reader, stream, { ...window, limit: window.limit + 1 });
    const workspace = positions[0]?.workspace;
    if (workspace === undefined || !this.mayRead(stream, workspace, caller)) {
      return { stream, events: [], truncated: false, chainIntact: true };
    }
    const records = await this.readStream(stream, positions.slice(0, window.limit));
    if (!records.every((record) => this.mayRead(stream, record.event.workspace, caller))) {
      return { stream, events: [], truncated: false, chainIntact: true };
    }
    const startsStream = window.fromMs === undefined;
    return {
      stream,
      events: records.map(toRecordedEvent),
      truncated: positions.length > window.limit,
      chainIntact: chainIntact(
        records.map((record) => record.event),
        startsStream,
      ),
    };
  }

  async runAsOf(runId: string, asOfMs: number, scope: ReadScope): Promise<RunAsOf | null> {
    const records = await this.recordedUpTo(streams.run(runId), asOfMs, 'asOf', scope);
    if (records.length === 0 || !records.every((record) => inReadScope(scope, record.event.workspace)))
      return null;
    const events = records.map((record) => record.event);
    const state = foldRun(events);
    if (state.status === 'absent') return null;
    const ended = 'endTime' in state;
    return {
      runId,
      asOf: asOfMs,
      status: state.status,
      name: state.name,
      experimentId: state.experimentId,
      sweepId: state.sweepId ?? null,
      parentRunId: state.parentRunId ?? null,
      createdAt: state.createdAt,
      startTime: state.startTime,
      deleted: state.deleted,
      note: state.note,
      params: keyValues(state.params),
      tags: keyValues(state.tags),
      endTime: ended ? state.endTime : null,
      failureReason: ended ? state.failureReason : null,
      eventsFolded: events.length,
      lastEvent: toRecordedEvent(records[records.length - 1]),
      chainIntact: chainIntact(events, true),
    };
  }

  /**
   * A stream's events recorded up to an instant, read from the log where the events table places them (at most
   * MAX_FOLDED_EVENTS: an instant past more than that is refused, naming `field`).
   */
  async recordedUpTo(stream: string, asOfMs: number, field: string, scope: ReadScope): Promise<LogRecord[]> {
    const positions = await getStreamPositions(this.reader, stream, {
      toMs: asOfMs,
      limit: MAX_FOLDED_EVENTS,
    });
    // Another workspace's stream is not read at all: it answers as one without events.
    if (positions.length === 0 || !inReadScope(scope, positions[0].workspace)) return [];
    if (positions.length >= MAX_FOLDED_EVENTS) {
      throw new ValidationError(
        `${stream} has over ${MAX_FOLDED_EVENTS - 1} events before ${field}: too many to fold`,
        field,
      );
    }
    return this.readStream(stream, positions);
  }

  /**
   * The events at the positions the events table names, read from the log: each must be of the stream asked for,
   * else the index and the log disagree (a tampered or stale projection), which is said rather than answered.
   */
  private async readStream(
    stream: string,
    positions: Parameters<typeof readRecorded>[1],
  ): Promise<LogRecord[]> {
    const records = await readRecorded(this.log, positions);
    const foreign = records.find((record) => record.event.stream !== stream);
    if (foreign) {
      throw new ConcurrencyError(
        `the events table places an event of ${foreign.event.stream} in ${stream} at ${foreign.topic}/${foreign.partition} offset ${foreign.offset}: run auditVerify(projections: true)`,
        'stream',
      );
    }
    return records;
  }

  private mayRead(
    stream: string,
    workspace: string,
    caller: { scope: ReadScope; principal: Principal },
  ): boolean {
    if (ADMIN_STREAMS.some((prefix) => stream.startsWith(prefix))) {
      return can(caller.principal, 'admin', workspace);
    }
    return inReadScope(caller.scope, workspace);
  }
}

function keyValues(values: Record<string, string>): { key: string; value: string }[] {
  return Object.keys(values)
    .sort()
    .map((key) => ({ key, value: values[key] }));
}

function toRecordedEvent(record: LogRecord): RecordedEvent {
  const event: EventEnvelope = record.event;
  return {
    id: event.id,
    type: event.type,
    v: event.v,
    stream: event.stream,
    workspace: event.workspace,
    actor: event.actor,
    onBehalfOf: event.onBehalfOf ?? null,
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    payload: JSON.stringify(event.payload),
    prevHash: event.prevHash,
    hash: event.hash,
    requestDigest: event.requestDigest ?? null,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  };
}
