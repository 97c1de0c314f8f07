import type { OperatorCliDependencies } from '../audit-verify';
import { ImportWriter, parseImportArgs, type RunEnding } from './import-writer';
import type { MlflowSource, SourceRun } from './mlflow-source';
import { importRegistry } from './mlflow-registry-import';
import { parentsFirst } from './parents-first';
import { MlflowServerSource } from './mlflow-server';
import { MlflowFolderSource } from './mlruns-folder';

export const IMPORT_MLFLOW_USAGE = `runlog import mlflow <mlruns folder | tracking URI> [--url <url>] [--token <token>] [--json]

Imports what MLflow holds (experiments, runs with their params, tags, full metric histories, status and times,
artifacts; registered models with their versions, stages and aliases) into Runlog through its API (--url or RUNLOG_URL), as the token's principal (--token or RUNLOG_TOKEN).
The source is a file store's folder, or a tracking server's http(s) URI, read through its REST API with MLflow's
client credentials (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) and its files
through its artifact proxy. Every write has an id made from what it imports, so importing again appends nothing.
Runs keep their MLflow ids. Progress goes to stderr; a summary to stdout (--json: as JSON). Exit 1 when something
was refused.
`;

const NAMESPACE = 'f1a9d4c2-6b3e-4f7a-9c1d-2e8b5a7f3c60';
/** How MLflow's ended runs end in Runlog. */
const ENDINGS: Record<string, RunEnding> = {
  FINISHED: { action: 'finish' },
  FAILED: { action: 'fail', reason: 'FAILED in MLflow (imported)' },
  KILLED: { action: 'kill', reason: 'KILLED in MLflow (imported)' },
};

/** `runlog import mlflow <folder | tracking URI>`. */
export async function importMlflow(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const options = parseImportArgs(argv, 'mlruns folder or tracking URI');
  const writer = new ImportWriter(options, dependencies, NAMESPACE);
  const source: MlflowSource = /^https?:\/\//i.test(options.source)
    ? new MlflowServerSource(options.source, dependencies.env)
    : new MlflowFolderSource(options.source);
  try {
    const experiments = await source.experiments();
    const runsOf = new Map(
      await Promise.all(experiments.map(async (e) => [e.id, await source.runs(e)] as const)),
    );
    const total = [...runsOf.values()].reduce((sum, runs) => sum + runs.length, 0);
    const imported = new Set<string>();
    const progress = writer.progress('import mlflow', 'runs');
    let done = 0;
    const points = () => `${writer.summary.points.toLocaleString('en')} points`;
    for (const experiment of experiments) {
      // A name Runlog has already (another import's, or made natively) answers that experiment: its runs go there.
      const experimentId = await writer.experiment(experiment.name, experiment.id);
      if (experimentId === undefined) continue;
      // MLflow's runs/search orders by start time, which a child can tie with its parent.
      const runs = parentsFirst(
        runsOf.get(experiment.id) ?? [],
        (run) => run.id,
        (run) => run.tags['mlflow.parentRunId'],
      );
      const ids = new Set(runs.map((run) => run.id));
      for (const run of runs) {
        if (await importRun(writer, source, { ...run, experimentId }, ids)) imported.add(run.id);
        progress.update(++done, total, points());
      }
      // Only an experiment this import made is archived: a name that led to one of Runlog's own leaves it open.
      if (experiment.deleted && experimentId === experiment.id) await writer.archiveExperiment(experimentId);
    }
    progress.finish(done, total, points());
    await importRegistry(writer, await source.registeredModels(), imported);
    return writer.report(options.json);
  } finally {
    await source.close();
  }
}

async function importRun(
  writer: ImportWriter,
  source: MlflowSource,
  run: SourceRun,
  inSource: Set<string>,
): Promise<boolean> {
  const { tags } = run;
  const parent = tags['mlflow.parentRunId'];
  const created = await writer.createRun({
    runId: run.id,
    experimentId: run.experimentId,
    name: tags['mlflow.runName'] ?? run.name,
    ...(parent && inSource.has(parent) ? { parentRunId: parent } : {}),
    user: run.userId,
    startedAt: run.startTime,
  });
  if (!created) return false;
  await writer.params(run.id, run.params);
  await writer.tags(
    run.id,
    Object.fromEntries(Object.entries(tags).filter(([key]) => key !== 'mlflow.runName')),
  );
  for (const key of run.metricKeys)
    // A source that fails mid-series (a file unreadable, a server gone) is named; the rest of the run goes on.
    await writer.attempt(`run ${run.id} metric ${key}`, () =>
      writer.metric(run.id, key, source.points(run, key)),
    );
  await writer.attempt(`run ${run.id} artifacts`, async () => {
    const { files, release } = await source.artifacts(run);
    try {
      await writer.uploads(run.id, files);
    } finally {
      await release();
    }
  });
  const ending = ENDINGS[run.status];
  if (ending) await writer.end(run.id, ending, run.endTime);
  if (run.deleted) await writer.deleteRun(run.id);
  return true;
}
