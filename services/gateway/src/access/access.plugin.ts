import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { decideOperation, principalOf, type AccessDecision } from '../../../../libs/access/src';

/** A refusal as GraphQL tells it: UNAUTHENTICATED (HTTP 401) or FORBIDDEN (403), naming the field. */
export function accessError(decision: Extract<AccessDecision, { allowed: false }>): GraphQLError {
  return new GraphQLError(decision.message, {
    extensions: {
      code: decision.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
      field: 'authorization',
      http: { status: decision.status },
    },
  });
}

/**
 * Checks every root field of an operation against the permissions table once it is parsed and validated, before
 * anything executes: an operation with one refused field runs none of them.
 */
export function accessPlugin(documents: 'public' | 'protected'): ApolloServerPlugin<{ req: object }> {
  return {
    requestDidStart() {
      return Promise.resolve({
        didResolveOperation({ contextValue, document, operation }) {
          // Apollo has refused a document without a runnable operation before this hook.
          if (!operation) return Promise.resolve();
          const decision = decideOperation(document, operation, principalOf(contextValue.req), documents);
          if (!decision.allowed) throw accessError(decision);
          return Promise.resolve();
        },
      });
    },
  };
}
