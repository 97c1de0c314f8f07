import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as operationsPlugin from '@graphql-codegen/typescript-operations';
import { parse } from 'graphql';
import { format, resolveConfig } from 'prettier';
import { OPERATIONS } from '../../services/dashboard/src/api/operations';

/** The schema the server serves: docs/graphql.md's block, which graphql-docs.int.spec.ts keeps equal to it. */
export function servedSchema(repository: string): string {
  const markdown = readFileSync(join(repository, 'docs', 'graphql.md'), 'utf8');
  const block = markdown.slice(
    markdown.indexOf('<!-- schema:start -->'),
    markdown.indexOf('<!-- schema:end -->'),
  );
  const match = /```graphql\n([\s\S]*?)```/.exec(block);
  if (!match) throw new Error('docs/graphql.md holds no schema block');
  return match[1];
}

/**
 * The result and variable types of every operation of the page, from the schema: graphql-codegen also checks
 * each operation against it, so a field the gateway drops or renames fails here before it fails in a browser.
 */
export async function generateDashboardTypes(repository: string): Promise<string> {
  const output = await codegen({
    filename: 'generated.ts',
    schema: parse(servedSchema(repository)),
    documents: OPERATIONS.map((operation) => ({ document: parse(operation) })),
    config: {
      onlyOperationTypes: true,
      enumsAsTypes: true,
      avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      skipTypename: true,
      scalars: {
        MetricValue: 'number | "NaN" | "Infinity" | "-Infinity"',
        NumberList: 'Array<number | "NaN" | "Infinity" | "-Infinity" | null>',
      },
    },
    plugins: [{ typescriptOperations: {} }],
    pluginMap: { typescriptOperations: operationsPlugin },
  });
  return `/* Generated from the gateway's schema by npm run dashboard:types: do not edit. */\n${output}`;
}

/** As prettier writes them at `path`, so that the checked-in file passes the lint. */
async function formatted(types: string, path: string): Promise<string> {
  const options = { ...(await resolveConfig(path)), filepath: path };
  return format(types, options);
}

// Run as a script (the unit spec does: jest cannot load graphql-codegen's and prettier's ES modules): prints them
// as they would be written at argv[3], for the schema of the repository at argv[2].
if (require.main === module) {
  const [repository, path] = process.argv.slice(2);
  generateDashboardTypes(repository).then(
    async (types) => process.stdout.write(await formatted(types, path)),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
