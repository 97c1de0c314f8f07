import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { readScopeOfRequest } from '../../../../libs/access/src';
import { callIngest, INGEST_ENDPOINT, type IngestEndpoint } from '../../../../libs/ingest-client/src';
import { decodeConsistencyToken, type WritePosition } from '../../../../libs/log/src/consistency-token';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import { ProjectionWatermarks } from '../../../../libs/log/src/projection-watermarks';
import {
  CLICKHOUSE,
  PROJECTION_GROUP_ID,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
} from '../../../../libs/store/src';
import { MlflowError, mlflowErrorOf } from './mlflow-error';

/** How long a read waits for the projection to pass the dialect's writes before answering 503 (the client retries). */
const READ_YOUR_WRITES_MS = 10_000;

/**
 * What every MLflow endpoint stands on. Writes go to the native ingest API as the caller (libs/ingest-client), so
 * they are validated, authorized, routed and appended by the one command path; reads come from ClickHouse in the
 * caller's read scope. MLflow's clients read what they just wrote (log a metric, then get the run), so the dialect
 * keeps the highest log position its writes reached in each partition (a few numbers, whatever the load) and a
 * read first waits until the projector has passed them.
 */
@Injectable()
export class MlflowBackend {
  readonly reader: ClickhouseReader;
  private readonly watermarks: ProjectionWatermarks;
  private readonly written = new Map<string, WritePosition>();
  /** Writes recorded so far, and how many of them a read has seen the projection pass (both only grow). */
  private writeSeq = 0;
  private projectedSeq = 0;

  constructor(
    @Inject(INGEST_ENDPOINT) private readonly endpoint: IngestEndpoint,
    @Inject(CLICKHOUSE) clickhouse: ClickHouse,
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(PROJECTION_GROUP_ID) groupId: string,
  ) {
    this.reader = readerFor(clickhouse);
    this.watermarks = new ProjectionWatermarks(log, groupId);
  }

  /** One native command as the caller; its answer, or its refusal said in MLflow's terms. */
  async write<T extends object>(
    request: Request,
    method: 'POST' | 'DELETE',
    path: string,
    body: object,
  ): Promise<T> {
    let answer: T & { consistencyToken?: unknown };
    try {
      answer = await callIngest<T & { consistencyToken?: unknown }>(this.endpoint, {
        method,
        path,
        body,
        request,
      });
    } catch (error) {
      throw mlflowErrorOf(error);
    }
    if (typeof answer.consistencyToken === 'string') this.remember(answer.consistencyToken);
    return answer;
  }

  /** Records positions the native API reported for a write made without `write` (an artifact upload). */
  remember(consistencyToken: string): void {
    for (const position of decodeConsistencyToken(consistencyToken)) {
      const key = `${position.topic}/${position.partition}`;
      const known = this.written.get(key);
      if (!known || known.offset < position.offset) this.written.set(key, position);
    }
    this.writeSeq += 1;
  }

  /** Waits until the projection holds every write the dialect made so far, then reads in the caller's scope. */
  async read(request: Request): Promise<ReadScope> {
    const scope = readScopeOfRequest(request);
    // Nothing written since the projection was last seen past every write: no need to ask again.
    if (this.projectedSeq === this.writeSeq) return scope;
    // The writes up to here, and their positions, taken together before waiting.
    const target = this.writeSeq;
    if (this.watermarks.waiting >= this.watermarks.maxWaiters) {
      throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'too many reads wait for the projection; retry');
    }
    const reached = await this.watermarks.waitFor([...this.written.values()], READ_YOUR_WRITES_MS);
    if (reached) this.projectedSeq = Math.max(this.projectedSeq, target);
    if (!reached) {
      throw new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        `the projection did not reach the latest writes within ${READ_YOUR_WRITES_MS} ms; retry`,
      );
    }
    return scope;
  }
}
