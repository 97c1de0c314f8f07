import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImportSummary } from '../../services/cli/src/import/import-writer';
import { gql } from './runlog-client';
import { repoRoot } from './runlog-process';

const run = promisify(execFile);
const CLI = join(repoRoot(), 'dist', 'services', 'cli', 'src', 'main.js');

/**
 * `runlog import <kind> <source> --json …` against a server, as a user runs it: its JSON summary, whether it exits
 * 0 or 1 (1 lists refusals, which the tests assert).
 */
export async function runImport(
  base: string,
  kind: 'mlflow' | 'tensorboard' | 'neptune',
  source: string,
  ...extra: string[]
): Promise<ImportSummary> {
  const { stdout } = await run(process.execPath, [CLI, 'import', kind, source, '--json', ...extra], {
    env: { ...process.env, RUNLOG_URL: base },
  }).catch((error: { stdout?: string; stderr?: string }) => {
    if (!error.stdout) throw new Error(`runlog import ${kind} wrote no summary: ${error.stderr ?? ''}`);
    return { stdout: error.stdout };
  });
  return JSON.parse(stdout) as ImportSummary;
}

/** The runs an import made in the experiment of this name, by run name, with the GraphQL `fields` of each. */
export async function importedRunsByName<T extends { name: string }>(
  base: string,
  experimentName: string,
  fields: string,
): Promise<Record<string, T>> {
  const { experiments } = await gql<{ experiments: { id: string; name: string }[] }>(
    base,
    '{ experiments(limit: 100) { id name } }',
  );
  const experiment = experiments.find((found) => found.name === experimentName);
  if (!experiment) throw new Error(`no experiment named ${experimentName}`);
  const { runs } = await gql<{ runs: T[] }>(
    base,
    `query($e: ID!) { runs(experimentId: $e) { name ${fields} } }`,
    { e: experiment.id },
  );
  return Object.fromEntries(runs.map((found) => [found.name, found]));
}
