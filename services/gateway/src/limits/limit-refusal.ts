import { GraphQLError } from 'graphql';

/** Which limit refused a query: clients read `extensions.limit` to tell them apart. */
export type QueryLimit = 'tokens' | 'depth' | 'aliases' | 'directives' | 'cost' | 'subscriptions';

/**
 * A query refused for its shape, before any resolver runs: a 400 with Apollo's validation code (clients already
 * treat it as "fix the query, do not retry") and the limit's name.
 */
export function limitRefusal(limit: QueryLimit, message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, http: { status: 400 } },
  });
}
