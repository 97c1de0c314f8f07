import { Inject, Injectable } from '@nestjs/common';
import { can, type Permission, type Principal, type SurfacePermission } from '../../../../libs/access/src';
import { ForbiddenError, IdTakenError } from '../../../../libs/domain/src/errors';
import { v5 as uuidv5 } from 'uuid';
import type { EventEnvelope, NewEvent } from '../../../../libs/events/src/envelope';
import type { DomainEvent, RunlogEvent } from '../../../../libs/events/src/run.events';
import { checkDuplicate } from '../../../../libs/log/src/append-rules';
import { recordWrite } from '../../../../libs/log/src/consistency-token';
import {
  EVENT_LOG,
  LogConcurrencyError,
  type AppendOptions,
  type AppendResult,
  type EventLog,
} from '../../../../libs/log/src/event-log';

/** Who is writing (the authenticated principal, stamped on every event), where, and the digest of what they asked. */
export interface Caller {
  /** The workspace the request acts in: the target's once it is read, the request's for something new. */
  workspace: string;
  actor: string;
  /** A client-named user a permitted principal acts for (`x-runlog-actor`), recorded beside the actor. */
  onBehalfOf?: string;
  /** Absent for commands the server makes itself (a stale mark), which are not checked. */
  principal?: Principal;
  /** What the route needs (libs/access/src/permissions.ts). */
  permission?: SurfacePermission;
  /** See EventEnvelope.requestDigest; absent for commands the server makes itself (a stale mark). */
  requestDigest?: string;
}

export interface Acknowledgement {
  eventIds: string[];
  /** False when the eventId was already in the log: a retry, acknowledged again, nothing appended. */
  appended: boolean;
}

/** One command against one stream: where it goes, under which id, from whom. */
export interface CommandTarget {
  stream: string;
  topic: string;
  eventId: string;
  caller: Caller;
  /** When it happened on the client; the server's clock when absent. */
  occurredAt?: string;
}

export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;

const MAX_CONFLICT_RETRIES = 3;
const DERIVED_EVENT_ID_NAMESPACE = '3b0c4f8e-2d1a-4e6b-9c7d-5a8e1f2b3c4d';

/** An id for an event a command decides besides its own (a resume ahead of it), the same on every retry. */
export function derivedEventId(eventId: string, index: number | string): string {
  return uuidv5(`${eventId}/${index}`, DERIVED_EVENT_ID_NAMESPACE);
}

/**
 * The one command path every write takes (Emmett's handleCommand): load the stream → decide from its events →
 * append with the version it was read at. A version conflict is retried here and nowhere else. An eventId is an
 * idempotency key: found in the stream with the same request digest it is a retry, acknowledged without deciding
 * again; with another digest it is refused (the log's rule, applied before deciding).
 */
@Injectable()
export class CommandHandler {
  constructor(
    @Inject(EVENT_LOG) readonly log: EventLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  now(): number {
    return this.clock().getTime();
  }

  /**
   * Before a command that appends to several streams (a name claim, then the object): an eventId another request
   * used is refused here, before the first append, so a refused command leaves nothing behind.
   */
  async checkEventId(eventId: string, stream: string, caller: Caller): Promise<void> {
    const owner = await this.log.findEventId(eventId);
    if (owner) checkDuplicate({ id: eventId, requestDigest: caller.requestDigest }, stream, owner);
  }

  async read(stream: string): Promise<readonly EventEnvelope[]> {
    return (await this.log.readStream(stream)).events;
  }

  /**
   * The stream as the caller may see it: one in a workspace where it may not read is read as absent (the answer
   * is that of an unknown id), and one it sees moves the caller into the stream's workspace, where the route's
   * permission is then checked (403 when missing).
   */
  async readAs(stream: string, caller: Caller): Promise<VisibleStream> {
    return visibleTo((await this.log.readStream(stream)).events, caller);
  }

  async handle(
    target: CommandTarget,
    decide: (events: readonly EventEnvelope[], now: number) => DomainEvent<RunlogEvent>[],
  ): Promise<Acknowledgement> {
    const { stream, topic, eventId, caller } = target;
    for (let attempt = 0; ; attempt++) {
      const slice = await this.log.readStream(stream);
      const seen = visibleTo(slice.events, caller);
      const earlier = seen.events.find((event) => event.id === eventId);
      if (earlier) {
        checkDuplicate({ id: eventId, requestDigest: caller.requestDigest }, stream, earlier);
        return { eventIds: [eventId], appended: false };
      }
      const decided = decide(seen.events, this.now());
      // Only a create decides anything on an absent stream: the id is another workspace's.
      if (seen.hidden && decided.length > 0) throw new IdTakenError(`the id of ${stream} is taken`, 'id');
      if (decided.length === 0) {
        // Nothing to record, yet the id may be another request's: answering a retry's 200 would hide that.
        const owner = await this.log.findEventId(eventId);
        if (owner) checkDuplicate({ id: eventId, requestDigest: caller.requestDigest }, stream, owner);
        return { eventIds: [], appended: false };
      }
      // The client's id goes on the event the command is about, which a retry looks for; a resume decided ahead
      // of it gets an id derived from it. Should a large append land only in part (Kafka splits sends), the retry
      // then finds the resume in place and its own event missing, and appends just that.
      const primary = Math.max(
        0,
        decided.findIndex((event) => event.type !== 'run.resumed'),
      );
      const events = decided.map((event, index) =>
        this.toNewEvent(event, index === primary ? eventId : derivedEventId(eventId, index), {
          ...target,
          caller: seen.caller,
        }),
      );
      try {
        await this.append(topic, stream, events, { expectedVersion: slice.version });
        return { eventIds: events.map((event) => event.id), appended: true };
      } catch (error) {
        if (!(error instanceof LogConcurrencyError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  /** Every append of a request goes through here: its position goes into the answer's consistency token. */
  async append(
    topic: string,
    stream: string,
    events: NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const result = await this.log.appendToStream(topic, stream, events, options);
    recordWrite({ topic, partition: result.partition, offset: result.lastOffset });
    return result;
  }

  toNewEvent(event: DomainEvent, id: string, target: Pick<CommandTarget, 'caller' | 'occurredAt'>): NewEvent {
    const { caller, occurredAt } = target;
    return {
      id,
      type: event.type,
      v: event.v,
      workspace: caller.workspace,
      actor: caller.actor,
      ...(caller.onBehalfOf === undefined ? {} : { onBehalfOf: caller.onBehalfOf }),
      occurredAt: occurredAt ?? this.clock().toISOString(),
      payload: event.payload,
      ...(caller.requestDigest === undefined ? {} : { requestDigest: caller.requestDigest }),
    };
  }
}

export interface VisibleStream {
  events: readonly EventEnvelope[];
  /** The caller, in the stream's workspace when the stream is visible. */
  caller: Caller;
  /** The stream exists in a workspace the caller may not read. */
  hidden: boolean;
}

// Checked at the edge whole (operator: admin of every workspace), not per workspace here.
const EDGE_PERMISSIONS = new Set(['public', 'authenticated', 'documents', 'operator']);

/** The user a command is decided for: the one a trusted principal acts for (x-runlog-actor), else the principal. */
export function userOf(caller: Caller): string {
  return caller.onBehalfOf ?? caller.actor;
}

/**
 * The route's permission in the workspace the request names, checked before anything there is read: a command
 * that looks a name up (a model's, an experiment's) must not tell a name another workspace holds from a free one.
 */
export function requirePermissionWhereAsked(caller: Caller): void {
  const { principal, permission } = caller;
  if (!principal || permission === undefined || EDGE_PERMISSIONS.has(permission)) return;
  if (!can(principal, permission as Permission, caller.workspace)) {
    throw new ForbiddenError(
      `${principal.name} does not hold the ${permission} permission in workspace "${caller.workspace}"`,
      'authorization',
    );
  }
}

/** See CommandHandler.readAs. */
export function visibleTo(events: readonly EventEnvelope[], caller: Caller): VisibleStream {
  const { principal, permission } = caller;
  if (!principal) return { events, caller, hidden: false };
  if (events.length > 0 && !can(principal, 'read', events[0].workspace)) {
    return { events: [], caller, hidden: true };
  }
  const inStream = events.length > 0 ? { ...caller, workspace: events[0].workspace } : caller;
  if (
    permission !== undefined &&
    !EDGE_PERMISSIONS.has(permission) &&
    !can(principal, permission as Permission, inStream.workspace)
  ) {
    throw new ForbiddenError(
      `${principal.name} does not hold the ${permission} permission in workspace "${inStream.workspace}"`,
      'authorization',
    );
  }
  return { events, caller: inStream, hidden: false };
}
