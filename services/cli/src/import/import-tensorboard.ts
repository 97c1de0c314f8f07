import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { OperatorCliDependencies } from '../audit-verify';
import { ImportWriter, parseImportArgs, type RunEnding } from './import-writer';
import { CorruptEventFileError, readEventFile, type TfEventRecord } from './tfevents';

export const IMPORT_TENSORBOARD_USAGE = `runlog import tensorboard <logdir> [--experiment <name>] [--url <url>] [--token <token>] [--json]

Imports a TensorBoard logdir into Runlog through its API (--url or RUNLOG_URL), as the token's principal (--token
or RUNLOG_TOKEN). As in TensorBoard, each folder holding event files is a run, named by its path under the logdir;
a run inside another run's folder is its child. Scalars (the legacy simple values and the scalars plugin's
tensors) become metrics with their steps and wall times; the hparams plugin's values become params, and its
session end the run's end (a run without one is finished at its last event). Other summaries (images,
histograms, text) are counted and skipped. The experiment is --experiment, else the logdir's name. Every write
has an id made from what it imports, so importing again appends nothing. Progress goes to stderr; a summary to
stdout (--json: as JSON). Exit 1 when something was refused.
`;

const NAMESPACE = '3c7e2a91-5d48-4b0f-8e6a-b1f4c9d27a05';

interface LogdirRun {
  /** Its folder under the logdir, `/`-separated; `.` for the logdir itself. */
  path: string;
  files: string[];
}

/** TensorBoard's own order: by the name's creation timestamp, then by name. */
const byCreation = (a: string, b: string) => {
  const stamp = (name: string) => Number(/tfevents\.(\d+)/.exec(name)?.[1] ?? 0);
  return stamp(a) - stamp(b) || (a < b ? -1 : a > b ? 1 : 0);
};

async function runsOf(logdir: string): Promise<LogdirRun[]> {
  const entries = await readdir(logdir, { withFileTypes: true, recursive: true });
  const byFolder = new Map<string, string[]>();
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.includes('tfevents')) continue;
    const folder = relative(logdir, entry.parentPath).split(sep).join('/') || '.';
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), join(entry.parentPath, entry.name)]);
  }
  return [...byFolder]
    .map(([path, files]) => ({ path, files: files.sort((a, b) => byCreation(basename(a), basename(b))) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The nearest enclosing folder that is a run too. */
function parentOf(path: string, runs: Set<string>): string | undefined {
  for (let folder = path; folder !== '.';) {
    folder = dirname(folder);
    if (runs.has(folder)) return folder;
  }
  return undefined;
}

/** `runlog import tensorboard <logdir>`. */
export async function importTensorboard(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const options = parseImportArgs(argv, 'logdir', ['experiment'] as const);
  const logdir = resolve(options.source);
  const writer = new ImportWriter(options, dependencies, NAMESPACE);
  const runs = await runsOf(logdir);
  const experimentName = options.experiment ?? basename(logdir);
  const experimentId = await writer.experiment(experimentName);
  if (experimentId === undefined) return writer.report(options.json);
  const runIdOf = (path: string) =>
    `tb-${createHash('sha256').update(`${experimentName}\0${path}`).digest('hex').slice(0, 32)}`;
  const folders = new Set(runs.map((run) => run.path));
  const progress = writer.progress('import tensorboard', 'runs');
  const skipped: Record<string, number> = {};
  let done = 0;
  const detail = () => `${writer.summary.points.toLocaleString('en')} points`;
  for (const run of runs) {
    const runId = runIdOf(run.path);
    const parent = parentOf(run.path, folders);
    const created = await writer.createRun({
      runId,
      experimentId,
      name: run.path === '.' ? basename(logdir) : run.path,
      ...(parent === undefined ? {} : { parentRunId: runIdOf(parent) }),
      startedAt: await startOf(run.files),
    });
    if (created) {
      await writer.tags(runId, { 'tensorboard.run': run.path });
      await importEvents(writer, runId, run.files, skipped);
    }
    progress.update(++done, runs.length, detail());
  }
  progress.finish(done, runs.length, detail());
  if (Object.keys(skipped).length > 0) writer.summary.skipped = skipped;
  return writer.report(options.json);
}

/**
 * When a run began: the hparams plugin's start time, else the earliest wall time its first file records up to its
 * first scalar (the file-version record is when the writer opened, which a replayed or copied log leaves later).
 */
async function startOf(files: string[]): Promise<number | null> {
  let earliest: number | null = null;
  try {
    for await (const record of readEventFile(files[0])) {
      if (record.kind === 'hparams' && record.startTime !== undefined) return Math.round(record.startTime);
      if (record.kind === 'start' || record.kind === 'scalar')
        earliest = Math.min(earliest ?? Infinity, Math.round(record.wallTime));
      if (record.kind === 'scalar') break;
    }
  } catch {
    // A file that cannot be read is refused, with its reason, when its events are imported.
  }
  return earliest;
}

async function importEvents(
  writer: ImportWriter,
  runId: string,
  files: string[],
  skipped: Record<string, number>,
): Promise<void> {
  const points = writer.points(runId);
  const params: Record<string, string> = {};
  let ending: { status: string; at?: number } | undefined;
  let lastWallTime: number | undefined;
  const take = async (record: TfEventRecord) => {
    if (record.kind === 'scalar') {
      const timestamp = Math.round(record.wallTime);
      lastWallTime = Math.max(lastWallTime ?? timestamp, timestamp);
      await points.add(record.tag, { step: record.step, value: record.value, timestamp });
    } else if (record.kind === 'hparams') Object.assign(params, record.params);
    else if (record.kind === 'end') ending = { status: record.status, at: record.endTime };
    else if (record.kind === 'skipped') skipped[record.plugin] = (skipped[record.plugin] ?? 0) + 1;
  };
  for (const file of files) {
    try {
      for await (const record of readEventFile(file)) await take(record);
    } catch (error) {
      // A file is read up to its first damaged record, as TensorBoard does; the rest is named as refused.
      const why = error instanceof CorruptEventFileError ? error.message : `${file}: ${String(error)}`;
      writer.summary.refused.push({ what: `run ${runId} events`, why });
    }
  }
  await points.close();
  await writer.params(runId, params);
  const endings: Record<string, RunEnding | undefined> = {
    success: { action: 'finish' },
    unknown: { action: 'finish' },
    failure: { action: 'fail', reason: 'FAILURE in TensorBoard hparams (imported)' },
    running: undefined,
  };
  const chosen = ending === undefined ? endings.unknown : endings[ending.status];
  if (chosen)
    await writer.end(runId, chosen, ending?.at === undefined ? lastWallTime : Math.round(ending.at));
}
