import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { graphqlLimitOptions, type GraphqlLimitsConfig } from '../limits/graphql-limits';
import { limitRefusal } from '../limits/limit-refusal';
import { costRefusal, estimateQueryCost } from '../limits/query-cost';

/** What a graphql-ws client sends to subscribe. */
export interface LiveOperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface LiveOperationLoad {
  /** Subscriptions open on this connection, this one included. */
  onConnection: number;
  /** Subscriptions open in the process, this one included. */
  inProcess: number;
}

export type CheckedLiveOperation =
  | { ok: true; document: DocumentNode; operationName?: string; variables: Record<string, unknown> }
  | { ok: false; errors: GraphQLError[] };

/**
 * The limits POST /graphql applies through Apollo (graphql-limits.ts: tokens, depth, aliases, directives,
 * introspection, cost), applied to an operation that comes over graphql-ws, which Apollo never sees; plus the
 * number of subscriptions open. Only subscriptions are served there: queries go to POST /graphql, where the
 * consistency token and the rest of the HTTP boundary apply.
 */
export class LiveOperationLimits {
  private readonly rules: ValidationRule[];
  private readonly options: ReturnType<typeof graphqlLimitOptions>;

  constructor(private readonly limits: GraphqlLimitsConfig) {
    this.options = graphqlLimitOptions(limits);
    this.rules = [
      ...specifiedRules,
      ...this.options.validationRules,
      ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
    ];
  }

  check(schema: GraphQLSchema, request: LiveOperationRequest, load: LiveOperationLoad): CheckedLiveOperation {
    const refused = (error: GraphQLError): CheckedLiveOperation => ({ ok: false, errors: [error] });
    if (load.onConnection > this.limits.maxSubscriptionsPerConnection) {
      return refused(
        limitRefusal(
          'subscriptions',
          `A connection may hold ${this.limits.maxSubscriptionsPerConnection} subscriptions; complete one first.`,
        ),
      );
    }
    if (load.inProcess > this.limits.maxSubscriptions) {
      return refused(
        limitRefusal(
          'subscriptions',
          `The server holds ${this.limits.maxSubscriptions} subscriptions already.`,
        ),
      );
    }
    let document: DocumentNode;
    try {
      document = parse(request.query, this.options.parseOptions);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      return refused(coded(error, 'GRAPHQL_PARSE_FAILED'));
    }
    const invalid = validate(schema, document, this.rules, this.options.validationOptions);
    if (invalid.length > 0)
      return { ok: false, errors: invalid.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')) };
    const operationName = request.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation)
      return refused(coded(new GraphQLError('Unable to identify the operation'), 'BAD_REQUEST'));
    if (operation.operation !== 'subscription') {
      return refused(
        coded(
          new GraphQLError(
            `Only subscriptions are served over the WebSocket; send a ${operation.operation} to POST /graphql.`,
          ),
          'BAD_REQUEST',
        ),
      );
    }
    const variables = request.variables ?? {};
    const refusal = costRefusal(
      estimateQueryCost({ schema, document, operationName, variables }),
      this.limits.maxCost,
    );
    if (refusal) return refused(refusal);
    return { ok: true, document, operationName, variables };
  }
}

/** The code Apollo would give the same error over HTTP, unless a limit already named one. */
function coded(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
