import { IngestAnswerError } from '../../../../libs/ingest-client/src';

/** MLflow's ErrorCode names (databricks.proto) and the HTTP status its server answers each with. */
export const MLFLOW_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
} as const;
export type MlflowErrorCode = keyof typeof MLFLOW_STATUS;

/** An answer in MLflow's error format: `{error_code, message}` with the status MLflow's server gives that code. */
export class MlflowError extends Error {
  constructor(
    readonly code: MlflowErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return MLFLOW_STATUS[this.code];
  }

  toJSON(): { error_code: MlflowErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

/** Runlog's native error codes (services/ingest/src/http-errors.ts) as MLflow's. */
const CODE_OF_NATIVE: Record<string, MlflowErrorCode> = {
  validation_failed: 'INVALID_PARAMETER_VALUE',
  bad_request: 'INVALID_PARAMETER_VALUE',
  param_conflict: 'INVALID_PARAMETER_VALUE',
  illegal_transition: 'INVALID_PARAMETER_VALUE',
  not_found: 'RESOURCE_DOES_NOT_EXIST',
  name_taken: 'RESOURCE_ALREADY_EXISTS',
  id_taken: 'RESOURCE_ALREADY_EXISTS',
  // Nothing was appended: the client may simply send it again, which it does for 503.
  concurrency_conflict: 'TEMPORARILY_UNAVAILABLE',
  idempotency_conflict: 'RESOURCE_CONFLICT',
  promotion_conflict: 'RESOURCE_CONFLICT',
  approval_required: 'RESOURCE_CONFLICT',
  forbidden: 'PERMISSION_DENIED',
  unauthenticated: 'UNAUTHENTICATED',
  rate_limited: 'REQUEST_LIMIT_EXCEEDED',
  payload_too_large: 'INVALID_PARAMETER_VALUE',
  artifact_not_found: 'RESOURCE_DOES_NOT_EXIST',
  artifact_too_large: 'INVALID_PARAMETER_VALUE',
  invalid_digest: 'INVALID_PARAMETER_VALUE',
  ingest_unavailable: 'TEMPORARILY_UNAVAILABLE',
  owner_unavailable: 'TEMPORARILY_UNAVAILABLE',
  log_unavailable: 'TEMPORARILY_UNAVAILABLE',
  log_backpressure: 'TEMPORARILY_UNAVAILABLE',
  projection_behind: 'TEMPORARILY_UNAVAILABLE',
  ingest_busy: 'TEMPORARILY_UNAVAILABLE',
};

/** What the native API refused, said in MLflow's terms; the field it named goes into the message. */
export function mlflowErrorOf(error: unknown): MlflowError {
  if (error instanceof MlflowError) return error;
  if (error instanceof IngestAnswerError) {
    const field = error.field ? ` (${error.field})` : '';
    // A code not listed is a refusal of the request (4xx) unless the native API itself failed.
    const fallback = error.code === 'internal_error' ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
    return new MlflowError(CODE_OF_NATIVE[error.code] ?? fallback, `${error.message}${field}`);
  }
  return new MlflowError('INTERNAL_ERROR', 'internal error');
}

export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
export const invalid = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);
