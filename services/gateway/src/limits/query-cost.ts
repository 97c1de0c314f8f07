import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { limitRefusal } from './limit-refusal';

/**
 * What a query may cost before it runs: every field costs 1 (a value in the answer), a list multiplies its
 * selection by its clamped size argument or an assumed size (list-sizes.ts, declared with `complexity` on the
 * resolvers), aliases and repeated fields add up, and fragments count each time they are spread.
 */
const ESTIMATORS = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];

/** Fragments spread inside fragments multiply; past this many selections the estimate stops and refuses. */
export const MAX_COSTED_SELECTIONS = 10_000;

export interface QueryCostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown>;
}

export type QueryCost =
  | { kind: 'costed'; cost: number }
  /** The estimate was abandoned: too many selections to cost. */
  | { kind: 'too_many_selections' }
  /** The variables do not fit the operation; execution refuses them with its own, precise error. */
  | { kind: 'invalid_variables' };

export function estimateQueryCost(input: QueryCostInput): QueryCost {
  try {
    const cost = getComplexity({
      schema: input.schema,
      query: input.document,
      operationName: input.operationName ?? undefined,
      variables: input.variables ?? {},
      estimators: ESTIMATORS,
      maxQueryNodes: MAX_COSTED_SELECTIONS,
    });
    return { kind: 'costed', cost };
  } catch (error) {
    // getComplexity throws the node-count error itself and rethrows variable coercion errors it collected.
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) {
      return { kind: 'too_many_selections' };
    }
    if (error instanceof GraphQLError) return { kind: 'invalid_variables' };
    throw error;
  }
}

/** The refusal for an estimate over `maxCost` (or past counting), null when the operation may run. */
export function costRefusal(estimate: QueryCost, maxCost: number): GraphQLError | null {
  if (estimate.kind === 'too_many_selections') {
    return limitRefusal(
      'cost',
      `Query has more than ${MAX_COSTED_SELECTIONS} selections once its fragments are spread.`,
    );
  }
  if (estimate.kind === 'costed' && estimate.cost > maxCost) {
    return limitRefusal(
      'cost',
      `Query cost ${estimate.cost} exceeds the limit of ${maxCost} (a list costs its size times its selection; ask for fewer items or fields).`,
    );
  }
  return null;
}

/**
 * Refuses an operation whose estimated cost is over `maxCost`, after validation and before any resolver runs.
 * It is a plugin and not a validation rule because the cost depends on the request's variables
 * (`runs(limit: $n)`), which validation rules never see. Subscriptions over graphql-ws are checked by the same
 * costRefusal in services/gateway/src/live/live-operation-limits.ts.
 */
export function createQueryCostPlugin(config: { maxCost: number }): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const estimate = estimateQueryCost({
            schema,
            document,
            operationName: request.operationName,
            variables: request.variables,
          });
          const refusal = costRefusal(estimate, config.maxCost);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
