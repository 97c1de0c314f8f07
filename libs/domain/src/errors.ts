/** Domain errors carry a stable `code`; the HTTP and GraphQL edges map codes to statuses, nothing else does. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

export class IllegalTransition extends DomainError {
  readonly code = 'illegal_transition';
}

export class ValidationError extends DomainError {
  readonly code = 'validation_failed';
}

export class ParamConflictError extends DomainError {
  readonly code = 'param_conflict';
}

export class ConcurrencyError extends DomainError {
  readonly code = 'concurrency_conflict';
}
