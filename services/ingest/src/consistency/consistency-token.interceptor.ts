import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import {
  CONSISTENCY_TOKEN_HEADER,
  encodeConsistencyToken,
  withWriteRecording,
  type WritePosition,
} from '../../../../libs/log/src/consistency-token';

type RecordingRequest = Request & { runlogWrites?: WritePosition[] };

/**
 * Collects the log positions a request's appends reach (CommandHandler.append records them). Installed after the
 * body parser: the handler runs inside this context from there on.
 */
export function recordRequestWrites(request: Request, _response: Response, next: NextFunction): void {
  const writes: WritePosition[] = [];
  (request as RecordingRequest).runlogWrites = writes;
  withWriteRecording(writes, next);
}

/**
 * Adds `consistencyToken` (and the same in the x-runlog-consistency-token header) to every answer of a request
 * that wrote: a GraphQL request that sends it back waits until the projection has passed those writes.
 */
@Injectable()
export class ConsistencyTokenInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<RecordingRequest>();
    return next.handle().pipe(
      map((body: unknown) => {
        const writes = request.runlogWrites;
        if (!writes?.length || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
        const token = encodeConsistencyToken(writes);
        http.getResponse<Response>().setHeader(CONSISTENCY_TOKEN_HEADER, token);
        return { ...body, consistencyToken: token };
      }),
    );
  }
}
