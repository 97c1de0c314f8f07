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
  IdempotencyConflictError,
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
  id_taken: 409,
  promotion_conflict: 409,
  approval_required: 409,
  name_taken: 409,
  forbidden: 403,
  unauthenticated: 401,
  rate_limited: 429,
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
  if (error instanceof IdempotencyConflictError) {
    return { status: 409, body: { error: error.code, message: error.message, field: error.field } };
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
  const parserError = bodyParserErrorOf(error);
  if (parserError) return parserError;
  if (error instanceof HttpException) {
    // The access guard's refusals carry their own body ({ error, message, field }).
    const response = error.getResponse();
    if (typeof response === 'object' && typeof (response as ErrorBody).error === 'string') {
      return { status: error.getStatus(), body: response };
    }
    return { status: error.getStatus(), body: { error: 'http_error', message: error.message } };
  }
  return { status: 500, body: { error: 'internal_error', message: 'internal error' } };
}

/** What body-parser and raw-body throw (http-errors): a 4xx `status`, a `type`, and for zlib a `code`. */
interface ParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  limit?: number;
  code?: string;
  message?: string;
}

/** Body parser errors (node_modules/body-parser/lib/read.js, raw-body) as 4xx answers naming the field at fault. */
function bodyParserErrorOf(error: unknown): { status: number; body: ErrorBody } | null {
  if (error === null || typeof error !== 'object') return null;
  const parser = error as ParserError;
  const message = String(parser.message ?? '');
  switch (parser.type) {
    case 'entity.too.large':
      return {
        status: 413,
        body: {
          error: 'payload_too_large',
          message: `the body is larger than ${parser.limit} bytes`,
          field: 'body',
        },
      };
    case 'entity.parse.failed':
      return {
        status: 400,
        body: { error: 'malformed_json', message: `the body is not valid JSON: ${message}`, field: 'body' },
      };
    case 'encoding.invalid_utf8':
      return { status: 400, body: { error: 'invalid_utf8', message, field: 'body' } };
    case 'encoding.unsupported':
      return {
        status: 415,
        body: { error: 'unsupported_content_encoding', message, field: 'content-encoding' },
      };
    case 'charset.unsupported':
      return { status: 415, body: { error: 'unsupported_media_type', message, field: 'content-type' } };
    case 'request.aborted':
      return { status: 400, body: { error: 'request_aborted', message, field: 'body' } };
    case 'request.size.invalid':
      return {
        status: 400,
        body: {
          error: 'malformed_body',
          message: 'the body is not as long as its Content-Length',
          field: 'body',
        },
      };
  }
  // A body that is not the gzip, deflate or brotli it declares: zlib's error, wrapped by body-parser with 400.
  if (typeof parser.code === 'string' && parser.code.startsWith('Z_') && parser.status === 400) {
    return {
      status: 400,
      body: {
        error: 'malformed_body',
        message: `the body does not decode as its Content-Encoding: ${message}`,
        field: 'body',
      },
    };
  }
  // Any other error the parser marks as the client's: its own status, never a 500.
  if (
    parser.expose === true &&
    typeof parser.status === 'number' &&
    parser.status >= 400 &&
    parser.status < 500
  ) {
    return { status: parser.status, body: { error: 'bad_request', message, field: 'body' } };
  }
  return null;
}

const DRAIN_CUTOFF_MS = 10_000;

/**
 * A request refused before its body was all read: what the client is still sending is read and dropped, so it gets
 * the answer instead of a reset (closing the connection resets a client mid-send: EPIPE) and the connection stays
 * usable. A client still sending after DRAIN_CUTOFF_MS (a body declared at 100 GB) is cut off.
 */
export function drainUnread(request: Request): void {
  if (request.complete) return;
  request.resume();
  const cutOff = setTimeout(() => request.destroy(), DRAIN_CUTOFF_MS).unref();
  request.once('end', () => clearTimeout(cutOff));
}

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
    drainUnread(request);
    if (status >= 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (status === 503) response.setHeader('retry-after', '1');
    if (status === 401) response.setHeader('www-authenticate', 'Bearer realm="runlog"');
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
