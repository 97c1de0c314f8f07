import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { GraphQLError, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { loadConfig } from '../../../standalone/src/config';
import { RunsResolver } from '../runs/runs.resolver';
import { graphqlLimitOptions, type GraphqlLimitsConfig } from './graphql-limits';
import { estimateQueryCost } from './query-cost';

/** Queries the README and the integration specs send, and two a dashboard would: none may meet a limit. */
const LEGITIMATE_QUERIES: Record<string, string> = {
  'README run page': `{ run(id: "run-1") { status params { key value } tags { key value } metrics { key last min max count } }
    metricSeries: runMetricSeries(runId: "run-1", key: "train/loss", maxPoints: 100) { points { step value } } }`,
  'run-record full run': `query ($id: ID!) { run(id: $id) {
    id name status createdAt startTime endTime failureReason stackTrace sweepId parentRunId deleted note
    context { code { commit branch dirty } environment { runtime } hardware { cpuCount gpus { model memoryBytes } }
      seeds { key value } user host }
    inputs { name digest source split rows schemaDigest }
    artifacts { path digest size }
    sweep { id method searchSpace objectiveMetric objectiveGoal }
    children { id status }
    params { key value }
    metrics { key last lastStep min max count } } }`,
  'run-record family': `{ parent: run(id: "p") { children { id } }
    trials: runs(sweepId: "s") { id sweep { id } children { id } }
    readers: runsReadingInput(digest: "d") { runId split } }`,
  'experiments by alias':
    '{ active: experiments { id } all: experiments(includeArchived: true) { id name archived } }',
  'series at the maximum resolution': `query ($runId: ID!, $key: String!) {
    metricSeries: runMetricSeries(runId: $runId, key: $key, maxPoints: 10000) { totalPoints downsampled points { step value timestamp } } }`,
  'runs table page': `{ runs(experimentId: "e", limit: 100) {
    id name status createdAt startTime endTime note params { key value } tags { key value } metrics { key last min max } } }`,
  'every run of an experiment': `{ runs(experimentId: "e", limit: 10000) {
    id name status createdAt startTime endTime failureReason sweepId parentRunId deleted note } }`,
  'a chart comparing 20 runs': `{ ${Array.from(
    { length: 20 },
    (_, i) => `s${i}: runMetricSeries(runId: "r${i}", key: "loss", maxPoints: 500) { points { step value } }`,
  ).join(' ')} }`,
};

/** Values for the variables those queries declare. */
const VARIABLES = { id: 'run-1', runId: 'run-1', key: 'train/loss' };

const DEFAULTS: GraphqlLimitsConfig = loadConfig({}).graphql;

async function gatewaySchema(): Promise<GraphQLSchema> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    return await app.get(GraphQLSchemaFactory).create([RunsResolver]);
  } finally {
    await app.close();
  }
}

/** Parse, validate and cost a query the way the server does (cost refusal aside, which is the plugin's). */
function check(schema: GraphQLSchema, query: string, limits: GraphqlLimitsConfig = DEFAULTS) {
  const options = graphqlLimitOptions(limits);
  let document;
  try {
    document = parse(query, options.parseOptions);
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error], cost: undefined };
    throw error;
  }
  const errors = validate(
    schema,
    document,
    [...specifiedRules, ...options.validationRules],
    options.validationOptions,
  );
  const estimate = estimateQueryCost({ schema, document, variables: VARIABLES });
  return { errors, cost: estimate.kind === 'costed' ? estimate.cost : undefined };
}

describe('GraphQL limits', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await gatewaySchema();
  });

  it.each(Object.entries(LEGITIMATE_QUERIES))('lets "%s" through every default limit', (_name, query) => {
    const { errors, cost } = check(schema, query);
    expect(errors).toEqual([]);
    expect(cost).toBeLessThanOrEqual(DEFAULTS.maxCost);
  });

  it('refuses each shape past its limit, naming the limit', () => {
    const limitOf = (query: string) => check(schema, query).errors.map((error) => error.extensions.limit);
    const nested = (levels: number) =>
      `{ run(id: "r") { ${'children { '.repeat(levels)}id${' }'.repeat(levels)} } }`;
    expect(limitOf(nested(DEFAULTS.maxDepth - 2))).toEqual([]);
    expect(limitOf(nested(DEFAULTS.maxDepth + 5))).toEqual(['depth']);

    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: run(id: "r") { id }`).join(' ')} }`;
    expect(limitOf(aliases(DEFAULTS.maxAliases))).toEqual([]);
    expect(limitOf(aliases(DEFAULTS.maxAliases + 1))).toEqual(['aliases']);

    const directives = (n: number) => `{ run(id: "r") { id ${'@include(if: true) '.repeat(n)} } }`;
    expect(limitOf(directives(DEFAULTS.maxDirectives + 1))).toContain('directives');

    // The token cap is graphql-js's own: parsing stops with a syntax error (tagged `tokens` by the error formatter).
    const tokens = check(schema, `{ ${'__typename '.repeat(DEFAULTS.maxTokens)} }`).errors;
    expect(tokens.map((error) => error.message)).toEqual([
      expect.stringMatching(new RegExp(`more tha[nt] ${DEFAULTS.maxTokens} tokens`)),
    ]);
  });

  it('suggests field names only while introspection is on', () => {
    const typo = '{ runz(experimentId: "e") { id } }';
    const open = check(schema, typo, { ...DEFAULTS, introspection: true }).errors;
    const closed = check(schema, typo, { ...DEFAULTS, introspection: false }).errors;
    expect(open.map((error) => error.message)).toEqual([expect.stringContaining('Did you mean')]);
    expect(closed.map((error) => error.message)).toEqual(['Cannot query field "runz" on type "Query".']);
  });

  it('sends no stack trace and no batched requests', () => {
    expect(graphqlLimitOptions(DEFAULTS)).toMatchObject({
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: false,
    });
  });
});
