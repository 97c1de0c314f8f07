import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { parse, type GraphQLSchema } from 'graphql';
import { RunsResolver } from '../runs/runs.resolver';
import { ASSUMED_LIST_SIZE, LIST_BOUNDS, QUERY_PER_PARENT_COST, clampListSize } from './list-sizes';
import { MAX_COSTED_SELECTIONS, estimateQueryCost } from './query-cost';

/** The gateway's real schema, built from the resolvers' decorators (their `complexity` options included). */
async function gatewaySchema(): Promise<GraphQLSchema> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    return await app.get(GraphQLSchemaFactory).create([RunsResolver]);
  } finally {
    await app.close();
  }
}

describe('query cost', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await gatewaySchema();
  });

  function costOf(query: string, variables: Record<string, unknown> = {}): number {
    const estimate = estimateQueryCost({ schema, document: parse(query), variables });
    if (estimate.kind !== 'costed') throw new Error(`not costed: ${estimate.kind}`);
    return estimate.cost;
  }

  describe('a list sized by an argument', () => {
    it('costs its default size times its selection when no size is asked for', () => {
      // Each run costs itself and its two fields.
      expect(costOf('{ runs(experimentId: "e") { id name } }')).toBe(LIST_BOUNDS.runs.defaultSize * 3);
    });

    it('costs the size asked for, in the query or in a variable', () => {
      expect(costOf('{ runs(experimentId: "e", limit: 10000) { id } }')).toBe(10_000 * 2);
      expect(costOf('query ($n: Int!) { runs(experimentId: "e", limit: $n) { id } }', { n: 7 })).toBe(7 * 2);
      expect(costOf('query ($n: Int = 250) { runs(experimentId: "e", limit: $n) { id } }')).toBe(250 * 2);
    });

    it('costs a size past the maximum as the clamped size the resolver will use', () => {
      expect(costOf('{ runs(experimentId: "e", limit: 2000000000) { id } }')).toBe(
        LIST_BOUNDS.runs.maxSize * 2,
      );
      expect(costOf('{ experiments(limit: -5) { id } }')).toBe(1 * 2);
      expect(costOf('{ runHistory(runId: "r", limit: 100000) { hash } }')).toBe(100_000 * 2);
    });

    it('adds up aliases of the same list', () => {
      const aliases = Array.from(
        { length: 10 },
        (_, i) => `a${i}: runs(experimentId: "e", limit: 10000) { id }`,
      );
      expect(costOf(`{ ${aliases.join(' ')} }`)).toBe(10 * 10_000 * 2);
    });

    it('multiplies nested lists', () => {
      // Per run: itself, id, and a children list of ASSUMED_LIST_SIZE runs of (itself + id).
      const perRun = 1 + 1 + (1 + ASSUMED_LIST_SIZE * 2);
      expect(costOf('{ runs(experimentId: "e", limit: 1000) { id children { id } } }')).toBe(1000 * perRun);
    });

    it('costs a metric series by its maxPoints, as if every point carried the whole selection', () => {
      const query =
        '{ metricSeries: runMetricSeries(runId: "r", key: "loss", maxPoints: 5000) { totalPoints points { step value } } }';
      expect(costOf(query)).toBe(5000 * (1 + 1 + (1 + 2)));
    });
  });

  describe('a list with no size argument', () => {
    it('costs one query per parent plus an assumed size when its resolver reads per run', () => {
      const inputs = QUERY_PER_PARENT_COST + ASSUMED_LIST_SIZE * (1 + 2);
      expect(costOf('{ run(id: "r") { inputs { name digest } } }')).toBe(1 + inputs);
      expect(costOf('{ runs(experimentId: "e", limit: 1000) { inputs { name digest } } }')).toBe(
        1000 * (1 + inputs),
      );
    });

    it('costs no query per parent for what a list reads in one query (params, tags, metrics)', () => {
      const batched = 1 + ASSUMED_LIST_SIZE * (1 + 2);
      for (const field of ['params { key value }', 'tags { key value }', 'metrics { key last }']) {
        expect(costOf(`{ runs(experimentId: "e", limit: 1000) { ${field} } }`)).toBe(1000 * (1 + batched));
      }
    });
  });

  it('counts a fragment each time it is spread', () => {
    const once = costOf('{ runs(experimentId: "e") { id name status } }');
    const spread = costOf(
      'fragment F on Run { id name status } { a: runs(experimentId: "e") { ...F } b: runs(experimentId: "e") { ...F } }',
    );
    expect(spread).toBe(2 * once);
  });

  it('gives up on fragments that multiply past the selection cap', () => {
    // Each level spreads the one below twice: 2^20 selections from a few lines.
    const levels = Array.from(
      { length: 20 },
      (_, i) => `fragment L${i} on Run { ...L${i + 1} ...L${i + 1} }`,
    ).join(' ');
    const query = `{ run(id: "r") { ...L0 } } ${levels} fragment L20 on Run { id }`;
    expect(estimateQueryCost({ schema, document: parse(query) })).toEqual({ kind: 'too_many_selections' });
    expect(MAX_COSTED_SELECTIONS).toBeLessThan(2 ** 20);
  });

  it('leaves variables that do not fit the operation to execution, which names them', () => {
    const query = 'query ($n: Int!) { runs(experimentId: "e", limit: $n) { id } }';
    expect(estimateQueryCost({ schema, document: parse(query), variables: { n: 'many' } })).toEqual({
      kind: 'invalid_variables',
    });
  });
});

describe('clampListSize', () => {
  it('keeps sizes in range, clamps the rest and defaults a missing one', () => {
    const bound = LIST_BOUNDS.runs;
    expect(clampListSize(bound, 50)).toBe(50);
    expect(clampListSize(bound, 0)).toBe(1);
    expect(clampListSize(bound, -3)).toBe(1);
    expect(clampListSize(bound, bound.maxSize + 1)).toBe(bound.maxSize);
    expect(clampListSize(bound, undefined)).toBe(bound.defaultSize);
    expect(clampListSize(bound, 2.7)).toBe(2);
  });
});
