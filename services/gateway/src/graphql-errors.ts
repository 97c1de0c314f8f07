import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DomainError } from '../../../libs/domain/src/errors';

/** Domain error codes (libs/domain/src/errors.ts) as GraphQL `extensions.code`; the domain code stays in `reason`. */
const GRAPHQL_CODES: Readonly<Record<string, string>> = {
  not_found: 'NOT_FOUND',
  validation_failed: 'BAD_USER_INPUT',
  illegal_transition: 'CONFLICT',
  param_conflict: 'CONFLICT',
  concurrency_conflict: 'CONFLICT',
  id_taken: 'CONFLICT',
  promotion_conflict: 'CONFLICT',
  approval_required: 'CONFLICT',
  name_taken: 'CONFLICT',
  forbidden: 'FORBIDDEN',
  unauthenticated: 'UNAUTHENTICATED',
};

/** graphql-js 16 spells it "more that", later versions "more than". */
const TOKEN_CAP_MESSAGE = /Document contains more tha[nt] \d+ tokens/;

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

export interface GraphqlErrorsDeps {
  /** Where the real cause of a masked error goes (the client sees only INTERNAL_SERVER_ERROR). */
  logInternalError: (error: unknown, formatted: GraphQLFormattedError) => void;
}

/**
 * The one place GraphQL errors are shaped for clients (Apollo's formatError: it sees every error, from parsing
 * to resolvers). Domain errors get their mapped code and field; errors the client can act on (parse, validation,
 * limits, bad input) pass as they are; anything else is a server fault, answered with a generic message.
 * Stack traces are never sent (`includeStacktraceInErrorResponses: false`; dropped here too, should that change).
 */
export function createGraphqlErrorFormatter(deps: GraphqlErrorsDeps) {
  return function formatGraphqlError(
    formatted: GraphQLFormattedError,
    error: unknown,
  ): GraphQLFormattedError {
    const cause = unwrapResolverError(error);
    const { locations, path } = formatted;
    if (cause instanceof DomainError) {
      return {
        message: cause.message,
        locations,
        path,
        extensions: {
          // Details first: they add to the code, reason and field, never replace them.
          ...cause.details,
          code: GRAPHQL_CODES[cause.code] ?? cause.code.toUpperCase(),
          reason: cause.code,
          ...(cause.field === undefined ? {} : { field: cause.field }),
        },
      };
    }
    const extensions = { ...formatted.extensions };
    delete extensions.stacktrace;
    if (extensions.code === undefined || extensions.code === 'INTERNAL_SERVER_ERROR') {
      deps.logInternalError(cause, formatted);
      return {
        message: INTERNAL_ERROR_MESSAGE,
        locations,
        path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    }
    // graphql-js's own token cap (parseOptions.maxTokens) words its refusal as a syntax error.
    if (extensions.code === 'GRAPHQL_PARSE_FAILED' && TOKEN_CAP_MESSAGE.test(formatted.message)) {
      return { ...formatted, extensions: { ...extensions, limit: 'tokens' } };
    }
    return { ...formatted, extensions };
  };
}
