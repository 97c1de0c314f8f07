import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import {
  RUN_STATUS_NAMES,
  type MlflowSource,
  type SourceArtifact,
  type SourceExperiment,
  type SourceModel,
  type SourceModelVersion,
  type SourceRun,
} from './mlflow-source';

/**
 * An `mlruns` folder as MLflow's file store writes it: `<experiment id>/meta.yaml`, and per run
 * `<experiment id>/<run id>/{meta.yaml, params/<key>, tags/<key>, metrics/<key>, artifacts/…}`. Keys with slashes
 * are nested folders. `.trash` holds deleted experiments; `models` the registry (not read here yet).
 */
export interface FolderExperiment {
  id: string;
  name: string;
  deleted: boolean;
  createdAt: number | null;
  dir: string;
}

export interface FolderRun {
  id: string;
  experimentId: string;
  name: string;
  /** MLflow's RunStatus number: 1 RUNNING, 2 SCHEDULED, 3 FINISHED, 4 FAILED, 5 KILLED. */
  status: number;
  startTime: number | null;
  endTime: number | null;
  deleted: boolean;
  userId: string;
  dir: string;
}

export interface FolderPoint {
  timestamp: number;
  value: number;
  step: number;
}

const meta = async (dir: string) =>
  (parseYaml(await readFile(join(dir, 'meta.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
const millis = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

async function directories(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function hasMeta(dir: string): Promise<boolean> {
  return stat(join(dir, 'meta.yaml')).then(
    (found) => found.isFile(),
    () => false,
  );
}

export async function readExperiments(root: string): Promise<FolderExperiment[]> {
  const experiments: FolderExperiment[] = [];
  for (const [base, deleted] of [
    [root, false],
    [join(root, '.trash'), true],
  ] as const) {
    for (const name of await directories(base)) {
      const dir = join(base, name);
      if (name === '.trash' || name === 'models' || !(await hasMeta(dir))) continue;
      const found = await meta(dir);
      experiments.push({
        id: text(found.experiment_id) || name,
        name: text(found.name),
        deleted: deleted || found.lifecycle_stage === 'deleted',
        createdAt: millis(found.creation_time),
        dir,
      });
    }
  }
  return experiments.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.id.localeCompare(b.id));
}

export async function readRuns(experiment: FolderExperiment): Promise<FolderRun[]> {
  const runs: FolderRun[] = [];
  for (const name of await directories(experiment.dir)) {
    const dir = join(experiment.dir, name);
    if (!(await hasMeta(dir))) continue;
    const found = await meta(dir);
    runs.push({
      id: text(found.run_id) || text(found.run_uuid) || name,
      experimentId: experiment.id,
      name: text(found.run_name),
      status: Number(found.status) || 1,
      startTime: millis(found.start_time),
      endTime: millis(found.end_time),
      deleted: found.lifecycle_stage === 'deleted',
      userId: text(found.user_id),
      dir,
    });
  }
  return runs.sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0) || a.id.localeCompare(b.id));
}

/** Every file under `dir`, as paths relative to it with `/` separators; links (and a linked `dir`) are not followed. */
export async function filesUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    if ((await lstat(dir)).isSymbolicLink()) return [];
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** `params/` or `tags/`: one file per key (a key with slashes is nested), its content the value. */
export async function readValues(dir: string): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const key of await filesUnder(dir)) values[key] = await readFile(join(dir, key), 'utf8');
  return values;
}

/** How Python writes the non-finite floats (`str(float('inf'))`). */
const PYTHON_FLOATS: Record<string, number> = {
  nan: NaN,
  inf: Infinity,
  '-inf': -Infinity,
  '+inf': Infinity,
};

/** A metric file's lines, `timestamp value step` (step absent in old files: 0), read as they come. */
export async function* readPoints(file: string): AsyncGenerator<FolderPoint> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    const [timestamp, value, step = '0'] = line.trim().split(/\s+/);
    if (timestamp === undefined || timestamp === '') continue;
    yield {
      timestamp: Number(timestamp),
      value: PYTHON_FLOATS[value?.toLowerCase() ?? ''] ?? Number(value),
      step: Number(step),
    };
  }
}

/** The folder as an import's source (mlflow-source.ts). */
export class MlflowFolderSource implements MlflowSource {
  private readonly folders = new Map<string, FolderExperiment>();
  private readonly runDirs = new Map<string, string>();

  constructor(private readonly root: string) {}

  async experiments(): Promise<SourceExperiment[]> {
    const found = await readExperiments(this.root);
    for (const experiment of found) this.folders.set(experiment.id, experiment);
    return found.map(({ id, name, deleted }) => ({ id, name, deleted }));
  }

  async runs(experiment: SourceExperiment): Promise<SourceRun[]> {
    const folder = this.folders.get(experiment.id);
    if (!folder) return [];
    const runs: SourceRun[] = [];
    for (const run of await readRuns(folder)) {
      this.runDirs.set(run.id, run.dir);
      runs.push({
        id: run.id,
        experimentId: run.experimentId,
        name: run.name,
        status: RUN_STATUS_NAMES[run.status] ?? 'RUNNING',
        startTime: run.startTime,
        endTime: run.endTime,
        deleted: run.deleted,
        userId: run.userId,
        params: await readValues(join(run.dir, 'params')),
        tags: await readValues(join(run.dir, 'tags')),
        metricKeys: await filesUnder(join(run.dir, 'metrics')),
      });
    }
    return runs;
  }

  points(run: SourceRun, key: string): AsyncIterable<FolderPoint> {
    return readPoints(join(this.runDirs.get(run.id) ?? '', 'metrics', key));
  }

  async artifacts(run: SourceRun): Promise<{ files: SourceArtifact[]; release(): Promise<void> }> {
    const dir = join(this.runDirs.get(run.id) ?? '', 'artifacts');
    const files = (await filesUnder(dir)).map((path) => ({ path, file: join(dir, path) }));
    return { files, release: async () => {} };
  }

  registeredModels(): Promise<SourceModel[]> {
    return readFolderRegistry(this.root);
  }

  async close(): Promise<void> {}
}

/**
 * MLflow's registry in a file store: `models/<name>/{meta.yaml, tags/<key>, aliases/<alias>}` and
 * `models/<name>/version-<n>/meta.yaml` (its run, source, stage and description).
 */
export async function readFolderRegistry(root: string): Promise<SourceModel[]> {
  const models: SourceModel[] = [];
  const base = join(root, 'models');
  for (const folder of await directories(base)) {
    const dir = join(base, folder);
    if (!(await hasMeta(dir))) continue;
    const found = await meta(dir);
    const aliasFiles = await readValues(join(dir, 'aliases'));
    const aliasMeta = (found.aliases ?? {}) as Record<string, unknown>;
    const aliases = Object.fromEntries(
      Object.entries({ ...aliasMeta, ...aliasFiles }).map(([alias, version]) => [
        alias,
        Number(text(version)),
      ]),
    );
    const versions: SourceModelVersion[] = [];
    for (const name of await directories(dir)) {
      if (!/^version-\d+$/.test(name) || !(await hasMeta(join(dir, name)))) continue;
      const version = await meta(join(dir, name));
      versions.push({
        version: Number(version.version),
        runId: text(version.run_id),
        source: text(version.source),
        stage: text(version.current_stage) || 'None',
        description: text(version.description),
      });
    }
    models.push({
      name: text(found.name) || folder,
      description: text(found.description),
      tags: await readValues(join(dir, 'tags')),
      aliases,
      versions,
    });
  }
  return models;
}
