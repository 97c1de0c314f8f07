import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  CONSISTENCY_TOKEN_HEADER,
  decodeConsistencyHeader,
  type WritePosition,
} from '../../../../libs/log/src/consistency-token';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import { PROJECTION_GROUP_ID } from '../../../../libs/store/src';
import { ProjectionWatermarks } from '../../../../libs/log/src/projection-watermarks';

export const CONSISTENCY_TIMEOUT_HEADER = 'x-runlog-consistency-timeout-ms';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 60_000;

function refuse(response: Response, status: number, code: string, message: string, field?: string): void {
  response.status(status).json({ errors: [{ message, extensions: { code, ...(field ? { field } : {}) } }] });
}

/**
 * A GraphQL request carrying ingest answers' consistency tokens (x-runlog-consistency-token, several
 * comma-separated) is held until the projection has passed those writes, for at most x-runlog-consistency-timeout-ms (10 s; up to 60 s): then it runs
 * and sees them. Past the bound it is answered 504 CONSISTENCY_TIMEOUT instead of with data that may lack them.
 */
@Injectable()
export class AwaitConsistencyMiddleware implements NestMiddleware {
  private readonly watermarks: ProjectionWatermarks;

  constructor(@Inject(EVENT_LOG) log: EventLog, @Inject(PROJECTION_GROUP_ID) groupId: string) {
    this.watermarks = new ProjectionWatermarks(log, groupId);
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const token = request.headers[CONSISTENCY_TOKEN_HEADER];
    if (token === undefined) return next();
    let positions: WritePosition[];
    try {
      positions = decodeConsistencyHeader(Array.isArray(token) ? token.join(',') : token);
    } catch (error) {
      return refuse(
        response,
        400,
        'BAD_USER_INPUT',
        `${CONSISTENCY_TOKEN_HEADER}: ${(error as Error).message}`,
        CONSISTENCY_TOKEN_HEADER,
      );
    }
    const rawTimeout = request.headers[CONSISTENCY_TIMEOUT_HEADER];
    const timeoutMs = rawTimeout === undefined ? DEFAULT_TIMEOUT_MS : Number(rawTimeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
      return refuse(
        response,
        400,
        'BAD_USER_INPUT',
        `${CONSISTENCY_TIMEOUT_HEADER}: a whole number of ms, 0 to ${MAX_TIMEOUT_MS}`,
        CONSISTENCY_TIMEOUT_HEADER,
      );
    }
    if (this.watermarks.waiting >= this.watermarks.maxWaiters) {
      response.setHeader('retry-after', '1');
      return refuse(
        response,
        503,
        'BUSY',
        `${this.watermarks.waiting} requests already wait for the projection; retry`,
      );
    }
    if (await this.watermarks.waitFor(positions, timeoutMs)) return next();
    refuse(
      response,
      504,
      'CONSISTENCY_TIMEOUT',
      `the projection did not reach these writes within ${timeoutMs} ms`,
    );
  }
}
