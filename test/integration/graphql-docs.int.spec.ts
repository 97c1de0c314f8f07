import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildClientSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  parse,
  printSchema,
  type IntrospectionQuery,
  type OperationDefinitionNode,
} from 'graphql';
import { GraphqlWsProbe } from '../support/graphql-ws-probe';
import { createExperimentAndRun, gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * docs/graphql.md is true: its schema is the server's (RUNLOG_UPDATE_DOCS=1, `npm run docs:graphql`, rewrites
 * it), and every query it shows runs against a real server without an error and returns data.
 */
const DOC = join(__dirname, '..', '..', 'docs', 'graphql.md');
const START = '<!-- schema:start -->';
const END = '<!-- schema:end -->';

function queriesOf(markdown: string): string[] {
  const before = markdown.slice(0, markdown.indexOf(START));
  return [...before.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/**
 * A subscription over graphql-ws: its first emission's data, or none when it completes without one (the docs'
 * runs have ended, so a live chart of them has nothing to send); a refusal fails the test.
 */
async function firstEmission(base: string, query: string, variables: Record<string, unknown>) {
  const probe = await GraphqlWsProbe.open(base);
  try {
    probe.subscribe('doc', query, variables);
    const answer = await probe.waitFor((message) => message.id === 'doc');
    if (answer.type === 'complete') return {};
    const payload = answer.payload as { data?: Record<string, unknown>; errors?: unknown[] };
    if (answer.type !== 'next' || payload.errors)
      throw new Error(`GraphQL: ${JSON.stringify(answer.payload)}`);
    return payload.data ?? {};
  } finally {
    probe.close();
  }
}

describe('docs/graphql.md', () => {
  const runlog = useRunlog();

  it('shows the schema the server serves', async () => {
    const { __schema } = await gql<IntrospectionQuery>(runlog.base, getIntrospectionQuery());
    const sdl = printSchema(lexicographicSortSchema(buildClientSchema({ __schema })));
    const markdown = readFileSync(DOC, 'utf8');
    const block = `${START}\n\n\`\`\`graphql\n${sdl}\n\`\`\`\n\n${END}`;
    const current = markdown.slice(markdown.indexOf(START), markdown.indexOf(END) + END.length);
    if (process.env.RUNLOG_UPDATE_DOCS === '1') {
      writeFileSync(DOC, markdown.replace(current, block));
      return;
    }
    expect(current).toBe(block);
  });

  it('has queries that each run and return data', async () => {
    const { experimentId, runId } = await createExperimentAndRun(runlog.base, 'docs');
    const other = (
      await post<{ runId: string }>(runlog.base, '/api/v1/runs', { experimentId, name: 'other' })
    ).body.runId;
    for (const [id, lr] of [
      [runId, '0.01'],
      [other, '0.1'],
    ]) {
      await post(runlog.base, `/api/v1/runs/${id}/params`, { params: { lr, optimizer: 'adam' } });
      const steps = Array.from({ length: 3000 }, (_, i) => i);
      await post(runlog.base, `/api/v1/runs/${id}/metrics`, {
        metrics: [{ key: 'loss', steps, values: steps.map((s) => 1 / (1 + s)) }],
      });
      await post(runlog.base, `/api/v1/runs/${id}/finish`, {});
    }
    const { sweepId } = (
      await post<{ sweepId: string }>(runlog.base, '/api/v1/sweeps', {
        experimentId,
        searchSpace: { lr: { min: 0, max: 1 } },
        objective: { metric: 'loss', goal: 'minimize' },
      })
    ).body;
    await post(runlog.base, '/api/v1/runs', { experimentId, sweepId, name: 'in-sweep' });
    await waitForProjection(runlog.base);
    const values: Record<string, unknown> = {
      runId,
      experimentId,
      sweepId,
      runIds: [runId, other],
      after: null,
    };
    const queries = queriesOf(readFileSync(DOC, 'utf8'));
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const query of queries) {
      const operation = parse(query).definitions[0] as OperationDefinitionNode;
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((definition) => {
          const name = definition.variable.name.value;
          return [name, values[name]];
        }),
      );
      const data =
        operation.operation === 'subscription'
          ? await firstEmission(runlog.base, query, variables)
          : await gql<Record<string, unknown>>(runlog.base, query, variables);
      for (const [field, value] of Object.entries(data)) {
        expect({ query: operation.name?.value, field, answered: value !== null }).toEqual({
          query: operation.name?.value,
          field,
          answered: true,
        });
      }
    }
  });
});
