/**
 * What the server must answer to each class of bad input: the one table to adjust when a decision changes. A class
 * without `error` accepts any non-empty code; a case may name its own field (a nested one) instead of the class's.
 */
export interface Expectation {
  status: number;
  /** The stable error code, when the class has one settled. */
  error?: string;
  /** The field the error body must name; cases whose field depends on the route give their own. */
  field?: string;
}

export const EXPECTED = {
  // Transport: what the body parser must refuse before a handler runs (issue 10, "Boundaries").
  contentTypeMissing: { status: 415, field: 'content-type' },
  contentTypeNotJson: { status: 415, field: 'content-type' },
  charsetNotUtf8: { status: 415, field: 'content-type' },
  encodingUnknown: { status: 415, field: 'content-encoding' },
  declaredTooLarge: { status: 413, field: 'body' },
  sentTooLarge: { status: 413, error: 'payload_too_large', field: 'body' },
  notDeclaredGzip: { status: 400, field: 'body' },
  malformedJson: { status: 400, error: 'malformed_json', field: 'body' },
  invalidUtf8: { status: 400, field: 'body' },
  notAnObject: { status: 400, error: 'validation_failed', field: 'body' },
  nestedTooDeep: { status: 400 },
  numberOutOfRange: { status: 400 },
  loneSurrogate: { status: 400 },
  // Fields (OWASP API3 mass assignment, API4 resource consumption, API8 injection).
  unknownField: { status: 400, error: 'validation_failed' },
  invalidValue: { status: 400, error: 'validation_failed' },
  oversized: { status: 400, error: 'validation_failed' },
  eventIdNotCanonical: { status: 400, error: 'validation_failed', field: 'eventId' },
  occurredAtUnstorable: { status: 400, field: 'occurredAt' },
  timestampUnstorable: { status: 400 },
  // Paths and objects (OWASP API1 broken object level authorization; MLflow's traversal advisories).
  pathIdInvalid: { status: 400, error: 'validation_failed' },
  objectUnknown: { status: 404, error: 'not_found' },
  artifactPathRefused: { status: 400, error: 'validation_failed', field: 'path' },
  // State and idempotency (issue 10, items 5 and 6).
  runEnded: { status: 409, error: 'illegal_transition', field: 'runId' },
  runDeleted: { status: 409, error: 'illegal_transition', field: 'runId' },
  experimentArchived: { status: 409, error: 'illegal_transition', field: 'experimentId' },
  eventIdReused: { status: 409, error: 'idempotency_conflict', field: 'eventId' },
  // Not a refusal: the same request again is answered as a retry, and appends nothing.
  sameRequestAgain: { status: 200 },
} as const satisfies Record<string, Expectation>;

export type CaseClass = keyof typeof EXPECTED;
