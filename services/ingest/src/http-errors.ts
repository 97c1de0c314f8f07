import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  ArtifactError,
  ArtifactNotFoundError,
  ArtifactTooLargeError,
} from '../../../libs/artifacts/src/artifact-store';
import { DomainError } from '../../../libs/domain/src/errors';
import { ForwardedAnswer, OwnerUnavailableError } from './ingest-router';
import {
  LogBackpressureError,
  LogConcurrencyError,
  LogUnavailableError,
} from '../../../libs/log/src/event-log';

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  not_found: 404,
  illegal_transition: 409,
  param_conflict: 409,
  concurrency_conflict: 409,
};

/** Maps any error to a status and a JSON body; domain codes are mapped here, at the HTTP edge, and nowhere else. */
export function toHttpError(error: unknown): { status: number; body: unknown } {
  // The stream's owner already decided: its answer goes back as it came.
  if (error instanceof ForwardedAnswer) return { status: error.status, body: error.body };
  if (error instanceof OwnerUnavailableError) {
    return {
      status: 503,
      body: { error: error.code, message: `${error.message}; retry with the same eventId` },
    };
  }
  if (error instanceof DomainError) {
    return {
      status: STATUS_BY_CODE[error.code] ?? 400,
      body: { error: error.code, message: error.message, field: error.field },
    };
  }
  if (error instanceof LogConcurrencyError) {
    return { status: 409, body: { error: error.code, message: error.message } };
  }
  if (error instanceof LogBackpressureError) {
    return {
      status: 503,
      body: { error: error.code, message: 'the log is saturated; retry with the same eventId' },
    };
  }
  if (error instanceof LogUnavailableError) {
    return {
      status: 503,
      body: { error: error.code, message: `${error.message}; retry with the same eventId` },
    };
  }
  if (error instanceof ArtifactError) {
    const status =
      error instanceof ArtifactTooLargeError ? 413 : error instanceof ArtifactNotFoundError ? 404 : 400;
    return { status, body: { error: error.code, message: error.message, field: 'body' } };
  }
  const bodyParserError = error as { type?: string; status?: number; limit?: number };
  if (bodyParserError?.type === 'entity.too.large') {
    return {
      status: 413,
      body: {
        error: 'payload_too_large',
        message: `the body is larger than ${bodyParserError.limit} bytes`,
        field: 'body',
      },
    };
  }
  if (bodyParserError?.type === 'entity.parse.failed') {
    return {
      status: 400,
      body: {
        error: 'malformed_json',
        message: `the body is not valid JSON: ${(error as Error).message}`,
        field: 'body',
      },
    };
  }
  if (error instanceof HttpException) {
    return { status: error.getStatus(), body: { error: 'http_error', message: error.message } };
  }
  return { status: 500, body: { error: 'internal_error', message: 'internal error' } };
}

const DRAIN_CUTOFF_MS = 10_000;

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request>();
    // A download that failed mid-stream (the client hung up) has sent its headers: there is no answer left to give.
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const { status, body } = toHttpError(error);
    // Refused before its body was all read (an upload's path, size or run): what the client is still sending is
    // read and dropped, so it gets this answer instead of a reset and the connection stays usable. (Closing it
    // instead would reset the client mid-send.) A client still sending after DRAIN_CUTOFF_MS is cut off.
    if (!request.complete) {
      request.resume();
      const cutOff = setTimeout(() => request.destroy(), DRAIN_CUTOFF_MS).unref();
      request.once('end', () => clearTimeout(cutOff));
    }
    if (status >= 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (status === 503) response.setHeader('retry-after', '1');
    response.status(status).json(body);
  }
}

/** Express error middleware for what fails before Nest's router (the body parser: malformed JSON, 413). */
export function bodyParserErrorHandler(
  error: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (res.headersSent) return next(error);
  const { status, body } = toHttpError(error);
  res.status(status).json(body);
}
