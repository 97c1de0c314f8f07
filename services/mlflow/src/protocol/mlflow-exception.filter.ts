import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { MlflowError, mlflowErrorOf, type MlflowErrorCode } from './mlflow-error';

const CODE_OF_STATUS: Record<number, MlflowErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'ENDPOINT_NOT_FOUND',
  413: 'INVALID_PARAMETER_VALUE',
  415: 'BAD_REQUEST',
  429: 'REQUEST_LIMIT_EXCEEDED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/**
 * Every refusal on MLflow's routes in MLflow's format, `{error_code, message}`, with its status: the access guard's
 * and the rate limiter's too, so the unchanged client raises its RestException with the right code.
 */
@Catch()
export class MlflowExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('MLflow');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const error = toMlflowError(exception);
    if (error.code === 'INTERNAL_ERROR') this.logger.error(exception);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    // The access guard's refusals keep their native fields (error, field) beside MLflow's, which its client reads.
    const native = exception instanceof HttpException ? exception.getResponse() : null;
    const extra = native !== null && typeof native === 'object' ? native : {};
    response.status(error.status).json({ ...extra, ...error.toJSON() });
  }
}

export function toMlflowError(exception: unknown): MlflowError {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse() as { message?: unknown };
    const message =
      typeof body === 'object' && typeof body.message === 'string' ? body.message : exception.message;
    return new MlflowError(
      CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
      message,
    );
  }
  return mlflowErrorOf(exception);
}
