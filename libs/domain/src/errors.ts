/** Domain errors carry a stable `code`; the HTTP and GraphQL edges map codes to statuses, nothing else does. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly field?: string,
    /** More a client can act on (e.g. the column of a filter's syntax error), sent beside the code. */
    readonly details?: Readonly<Record<string, string | number | readonly string[]>>,
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

/** The principal may see the target but lacks the permission the request needs there. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

/** No credential where one is needed, or one that is not valid (unknown, revoked, expired). */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
}

/** An id that is taken (by a stream the caller may not see, so nothing more is said). */
export class IdTakenError extends DomainError {
  readonly code = 'id_taken';
}

export class ConcurrencyError extends DomainError {
  readonly code = 'concurrency_conflict';
}

/** A promotion that expected another holder of the stage or alias than the one there: the message names it. */
export class PromotionConflictError extends DomainError {
  readonly code = 'promotion_conflict';
}

/** The model's policy needs an approval (by someone else, with a comment) that the promotion did not bring. */
export class ApprovalRequiredError extends DomainError {
  readonly code = 'approval_required';
}

/** A name (of a model, of an experiment) that another one of the workspace holds. */
export class NameTakenError extends DomainError {
  readonly code = 'name_taken';
}
