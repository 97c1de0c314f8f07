import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '../../../../libs/domain/src/errors';
import { StreamReadersBusyError } from '../../../../libs/store/src';

const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  not_acceptable: 406,
  payload_too_large: 413,
  export_busy: 503,
  not_found: 404,
  forbidden: 403,
  unauthenticated: 401,
};
/** Seconds a client is asked to wait before it asks again, when every export slot (or stream reader) is taken. */
export const EXPORT_RETRY_AFTER_SECONDS = '1';

/** An export error as the native API answers errors: `{ error, message, field }`, the field naming what to fix. */
export function toExportHttpError(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof DomainError) {
    return {
      status: STATUS_BY_CODE[error.code] ?? 400,
      body: { error: error.code, message: error.message, field: error.field },
    };
  }
  if (error instanceof StreamReadersBusyError) {
    return {
      status: 503,
      body: { error: 'export_busy', message: 'every stream reader is busy; retry later' },
    };
  }
  if (error instanceof HttpException) {
    // The access guard's refusals carry their own body ({ error, message, field }).
    const response = error.getResponse();
    if (typeof response === 'object' && typeof (response as { error?: unknown }).error === 'string') {
      return { status: error.getStatus(), body: response as Record<string, unknown> };
    }
    return { status: error.getStatus(), body: { error: 'http_error', message: error.message } };
  }
  return { status: 500, body: { error: 'internal_error', message: 'internal error' } };
}

@Catch()
export class ExportErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('export');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body } = toExportHttpError(error);
    if (status >= 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    // Failed mid-page (the store, or the client hung up): the status is sent, so the cut is the only signal left.
    // Destroying the socket ends a chunked body without its last chunk, which every HTTP client reports.
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (status === 503) response.setHeader('retry-after', EXPORT_RETRY_AFTER_SECONDS);
    response.status(status).json(body);
  }
}
