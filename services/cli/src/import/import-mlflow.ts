import { join } from 'node:path';
import type { OperatorCliDependencies } from '../audit-verify';
import { ImportWriter, parseImportArgs, type RunEnding } from './import-writer';
import {
  filesUnder,
  readExperiments,
  readPoints,
  readRuns,
  readValues,
  type FolderRun,
} from './mlruns-folder';

export const IMPORT_MLFLOW_USAGE = `runlog import mlflow <mlruns folder> [--url <url>] [--token <token>] [--json]

Imports what MLflow's file store holds (experiments, runs with their params, tags, full metric histories, status
and times, artifacts) into Runlog through its API (--url or RUNLOG_URL), as the token's principal (--token or
RUNLOG_TOKEN). Every write has an id made from what it imports, so importing again appends nothing. Runs keep
their MLflow ids. Progress goes to stderr; a summary to stdout (--json: as JSON). Exit 1 when something was refused.
`;

const NAMESPACE = 'f1a9d4c2-6b3e-4f7a-9c1d-2e8b5a7f3c60';
/** MLflow's RunStatus numbers of the ended runs. */
const ENDINGS: Record<number, RunEnding> = {
  3: { action: 'finish' },
  4: { action: 'fail', reason: 'FAILED in MLflow (imported)' },
  5: { action: 'kill', reason: 'KILLED in MLflow (imported)' },
};

/** `runlog import mlflow <folder>`. */
export async function importMlflow(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const options = parseImportArgs(argv, 'mlruns folder');
  const writer = new ImportWriter(options, dependencies, NAMESPACE);
  const experiments = await readExperiments(options.source);
  const runsOf = new Map(await Promise.all(experiments.map(async (e) => [e.id, await readRuns(e)] as const)));
  const total = [...runsOf.values()].reduce((sum, runs) => sum + runs.length, 0);
  const progress = writer.progress('import mlflow', 'runs');
  let done = 0;
  const points = () => `${writer.summary.points.toLocaleString('en')} points`;
  for (const experiment of experiments) {
    if ((await writer.experiment(experiment.name, experiment.id)) === undefined) continue;
    const runs = runsOf.get(experiment.id) ?? [];
    const ids = new Set(runs.map((run) => run.id));
    for (const run of runs) {
      await importRun(writer, run, ids);
      progress.update(++done, total, points());
    }
    if (experiment.deleted) await writer.archiveExperiment(experiment.id);
  }
  progress.finish(done, total, points());
  return writer.report(options.json);
}

async function importRun(writer: ImportWriter, run: FolderRun, inFolder: Set<string>): Promise<void> {
  const tags = await readValues(join(run.dir, 'tags'));
  const parent = tags['mlflow.parentRunId'];
  const created = await writer.createRun({
    runId: run.id,
    experimentId: run.experimentId,
    name: tags['mlflow.runName'] ?? run.name,
    ...(parent && inFolder.has(parent) ? { parentRunId: parent } : {}),
    user: run.userId,
    startedAt: run.startTime,
  });
  if (!created) return;
  await writer.params(run.id, await readValues(join(run.dir, 'params')));
  await writer.tags(
    run.id,
    Object.fromEntries(Object.entries(tags).filter(([key]) => key !== 'mlflow.runName')),
  );
  for (const key of await filesUnder(join(run.dir, 'metrics')))
    await writer.metric(run.id, key, readPoints(join(run.dir, 'metrics', key)));
  const artifactsDir = join(run.dir, 'artifacts');
  await writer.artifacts(run.id, artifactsDir, await filesUnder(artifactsDir));
  const ending = ENDINGS[run.status];
  if (ending) await writer.end(run.id, ending, run.endTime);
  if (run.deleted) await writer.deleteRun(run.id);
}
