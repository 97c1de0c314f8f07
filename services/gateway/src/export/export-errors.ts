import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '../../../../libs/domain/src/errors';

const STATUS_BY_CODE: Record<string, number> = { validation_failed: 400, not_acceptable: 406 };

/** An export error as the native API answers errors: `{ error, message, field }`, the field naming what to fix. */
export function toExportHttpError(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof DomainError) {
    return {
      status: STATUS_BY_CODE[error.code] ?? 400,
      body: { error: error.code, message: error.message, field: error.field },
    };
  }
  if (error instanceof HttpException) {
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
    response.status(status).json(body);
  }
}
