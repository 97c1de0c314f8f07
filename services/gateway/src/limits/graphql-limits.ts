import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError, ParseOptions, ValidationContext, ValidationRule } from 'graphql';
import { limitRefusal, type QueryLimit } from './limit-refusal';
import { createQueryCostPlugin } from './query-cost';

/** What a GraphQL request may ask for and be told (RUNLOG_GRAPHQL_*; defaults in services/standalone/src/config.ts). */
export interface GraphqlLimitsConfig {
  /** Schema introspection; when off, error messages carry no "Did you mean …" either. */
  introspection: boolean;
  /** Nesting of selections (fragments count as they are spread). */
  maxDepth: number;
  /** Aliases per operation: each alias of a field runs its resolver again. */
  maxAliases: number;
  /** Directives per operation. */
  maxDirectives: number;
  /** Lexical tokens per document: parsing stops at the first token past it, so a huge document costs little. */
  maxTokens: number;
  /** Estimated cost per operation (limits/query-cost.ts); a subscription's is one emission's. */
  maxCost: number;
  /** Subscriptions (graphql-ws) open at once in the process; also the cap on its open WebSocket connections. */
  maxSubscriptions: number;
  maxSubscriptionsPerConnection: number;
  /** Emissions a subscriber may have waiting to be sent; one more and it is dropped as SLOW_SUBSCRIBER. */
  subscriptionBuffer: number;
  /** A metricPoints subscriber whose batch waited this long to be sent is dropped as SLOW_SUBSCRIBER. */
  subscriptionStallMs: number;
  /**
   * graphql-ws pings each socket this often and cuts one that has not answered the ping by the next (0: never). A
   * client that stops reading answers no ping either, so this bounds how long any stalled socket stays open.
   */
  subscriptionKeepAliveMs: number;
  /** Keys × maxPoints summed over the open metricPoints subscriptions; past it a new one is refused. */
  maxLivePoints: number;
}

export const GRAPHQL_LIMITS = Symbol('GRAPHQL_LIMITS');

/** Validation stops after this many errors (graphql-js's default is 100); the client still learns what to fix. */
export const MAX_VALIDATION_ERRORS = 10;

export interface GraphqlLimitOptions {
  introspection: boolean;
  includeStacktraceInErrorResponses: false;
  allowBatchedHttpRequests: false;
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  validationOptions: { hideSuggestions: boolean; maxErrors: number };
  plugins: ApolloServerPlugin[];
}

/** graphql-armor's onReject callback (its types package is not a dependency of ours). */
type ArmorRejection = (context: ValidationContext | null, error: GraphQLError) => void;

/** graphql-armor reports "Syntax Error: …" for every limit; the refusal names the limit instead. */
function reportAs(limit: QueryLimit): ArmorRejection {
  return function reportLimitRefusal(context, error) {
    context?.reportError(limitRefusal(limit, error.message.replace(/^Syntax Error: /, '')));
  };
}

/**
 * The Apollo Server options that bound what one request can cost, all applied before any resolver runs:
 * the token cap while parsing, depth, aliases and directives as validation rules (graphql-armor), and the
 * list-aware cost once the operation and its variables are known (query-cost.ts).
 */
export function graphqlLimitOptions(limits: GraphqlLimitsConfig): GraphqlLimitOptions {
  const armor = new ApolloArmor({
    // graphql-js's own parse option stops the lexer at the cap and answers 400; armor's plugin parses the whole
    // document a second time and throws from a hook, which Apollo answers with 500.
    maxTokens: { enabled: false },
    // Armor's cost ignores list sizes: `runs(limit: 10000)` would cost as much as `run(id)`.
    costLimit: { enabled: false },
    maxDepth: { n: limits.maxDepth, onReject: [reportAs('depth')], propagateOnRejection: false },
    maxAliases: { n: limits.maxAliases, onReject: [reportAs('aliases')], propagateOnRejection: false },
    maxDirectives: {
      n: limits.maxDirectives,
      onReject: [reportAs('directives')],
      propagateOnRejection: false,
    },
    // Masks suggestions in any error a request meets (variable coercion included), not only validation's.
    blockFieldSuggestion: { enabled: !limits.introspection },
  });
  const protection = armor.protect();
  return {
    introspection: limits.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: protection.validationRules,
    validationOptions: {
      // graphql-js then never computes suggestions during validation (cheaper than masking them afterwards).
      hideSuggestions: !limits.introspection,
      // A document of repeated mistakes (100 copies of one directive) would otherwise be answered with 100 errors.
      maxErrors: MAX_VALIDATION_ERRORS,
    },
    plugins: [...protection.plugins, createQueryCostPlugin({ maxCost: limits.maxCost })],
  };
}
