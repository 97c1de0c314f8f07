import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { metricValue } from '../../../../libs/store/src';
import { OperatorUsageError, type OperatorCliDependencies } from '../audit-verify';
import { ImportWriter, parseImportArgs } from './import-writer';
import { parentsFirst } from './parents-first';
import { NeptuneExport, type ExportedAttribute, type ExportedRunRef } from './neptune-export';

export const IMPORT_NEPTUNE_USAGE = `runlog import neptune <export folder> [--files <dir>] [--experiment <name>] [--step-multiplier <n>]
                      [--url <url>] [--token <token>] [--json]

Imports what neptune-exporter wrote (its Parquet files, and the files it downloaded) into Runlog through its API
(--url or RUNLOG_URL), as the token's principal (--token or RUNLOG_TOKEN). The folder is the export's (holding
data/ and files/) or its data folder (then --files names the files folder). Each Neptune project is an
experiment (--experiment names one for all). A run keeps its parent (a fork's), creation time, owner, description
(its note), tags, and failed state; its other single values become params, its float series metrics (a NaN the
exporter wrote as null comes back as NaN), its files and file series artifacts under their attribute paths.
Steps must be integers after --step-multiplier (default 1). String and histogram series are counted and skipped.
Every write has an id made from what it imports, so importing again appends nothing. Progress goes to stderr; a
summary to stdout (--json: as JSON). Exit 1 when something was refused.
`;

const NAMESPACE = '8b4d1f6e-2a7c-4e93-b5d0-7c1e9a3f6b28';
const PARAM_TYPES = new Set(['float', 'int', 'string', 'bool', 'datetime', 'string_set']);
const FILE_TYPES = new Set(['file', 'file_series', 'artifact', 'file_set']);

/** A run as its attributes describe it. */
interface NeptuneRun {
  ref: ExportedRunRef;
  runlogId: string;
  sys: Map<string, ExportedAttribute>;
  params: Record<string, string | number | boolean>;
  files: ExportedAttribute[];
}

const runlogIdOf = (projectId: string, runId: string) =>
  `nep-${createHash('sha256').update(`${projectId}\0${runId}`).digest('hex').slice(0, 32)}`;

function valueOf(row: ExportedAttribute): string | number | boolean | undefined {
  switch (row.type) {
    case 'float':
      // ±inf arrive as ClickHouse spells them ('inf', '-inf'); a NaN parameter the exporter wrote as null.
      return typeof row.float === 'number' ? row.float : (row.float ?? undefined);
    case 'int':
      return row.int === null ? undefined : Number.isSafeInteger(Number(row.int)) ? Number(row.int) : row.int;
    case 'string':
      return row.string ?? undefined;
    case 'bool':
      return row.bool ?? undefined;
    case 'datetime':
      return row.datetime === null ? undefined : new Date(Number(row.datetime)).toISOString();
    case 'string_set':
      return row.set === null ? undefined : [...row.set].sort().join(', ');
    default:
      return undefined;
  }
}

async function describe(source: NeptuneExport, ref: ExportedRunRef): Promise<NeptuneRun> {
  const run: NeptuneRun = {
    ref,
    runlogId: runlogIdOf(ref.projectId, ref.runId),
    sys: new Map(),
    params: {},
    files: [],
  };
  for await (const row of source.attributes(ref)) {
    if (FILE_TYPES.has(row.type)) {
      if (row.file !== null) run.files.push(row);
      continue;
    }
    // A parameter of another run of its batch comes with every value null (the exporter's melt): not this run's.
    const value = valueOf(row);
    if (value === undefined || !PARAM_TYPES.has(row.type)) continue;
    if (row.path.startsWith('sys/')) run.sys.set(row.path, row);
    else run.params[row.path] = value;
  }
  return run;
}

function multiplierOf(text: string | undefined): number {
  const value = text === undefined ? 1 : Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new OperatorUsageError(`--step-multiplier must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}

/** `runlog import neptune <export folder>`. */
export async function importNeptune(argv: readonly string[], dependencies: OperatorCliDependencies) {
  const options = parseImportArgs(argv, 'export folder', ['files', 'experiment', 'step-multiplier'] as const);
  const multiplier = multiplierOf(options['step-multiplier']);
  const where = NeptuneExport.locate(options.source, options.files);
  const writer = new ImportWriter(options, dependencies, NAMESPACE);
  const source = new NeptuneExport(where.data, where.files);
  try {
    const refs = await source.runs();
    const runs: NeptuneRun[] = [];
    for (const ref of refs) {
      if (ref.incomplete) writer.summary.refused.push({ what: `run ${ref.runId}`, why: ref.incomplete });
      else runs.push(await describe(source, ref));
    }
    const experiments = new Map<string, string | undefined>();
    const made = new Set<string>();
    const skipped: Record<string, number> = {};
    const progress = writer.progress('import neptune', 'runs');
    let done = 0;
    const detail = () => `${writer.summary.points.toLocaleString('en')} points`;
    // A fork names its parent by the parent's run id in the same project.
    const key = (projectId: string, runId: string) => `${projectId}\0${runId}`;
    const ordered = parentsFirst(
      runs,
      (run) => key(run.ref.projectId, run.ref.runId),
      (run) => key(run.ref.projectId, run.sys.get('sys/forking/parent')?.string ?? ''),
    );
    for (const run of ordered) {
      const name = options.experiment ?? run.ref.projectId;
      if (!experiments.has(name)) experiments.set(name, await writer.experiment(name));
      const experimentId = experiments.get(name);
      if (
        experimentId !== undefined &&
        (await importRun(writer, source, run, experimentId, made, multiplier, skipped))
      )
        made.add(run.runlogId);
      progress.update(++done, runs.length, detail());
    }
    progress.finish(done, runs.length, detail());
    if (Object.keys(skipped).length > 0) writer.summary.skipped = skipped;
    return writer.report(options.json);
  } finally {
    source.close();
  }
}

async function importRun(
  writer: ImportWriter,
  source: NeptuneExport,
  run: NeptuneRun,
  experimentId: string,
  made: Set<string>,
  multiplier: number,
  skipped: Record<string, number>,
): Promise<boolean> {
  const { sys, runlogId: id, ref } = run;
  const text = (path: string) => sys.get(path)?.string || undefined;
  const time = (path: string) => {
    const found = sys.get(path)?.datetime;
    return found === null || found === undefined ? null : Number(found);
  };
  const parent = text('sys/forking/parent');
  const parentId = parent === undefined ? undefined : runlogIdOf(ref.projectId, parent);
  // Neptune 3 names the experiment in sys/name (its runs by their custom id); Neptune 2 names the run there.
  const neptune3 = sys.has('sys/experiment/name') || sys.has('sys/custom_run_id');
  const created = await writer.createRun({
    runId: id,
    experimentId,
    name: (neptune3 ? undefined : text('sys/name')) ?? ref.runId,
    ...(parentId !== undefined && made.has(parentId) ? { parentRunId: parentId } : {}),
    user: text('sys/owner'),
    startedAt: time('sys/creation_time'),
  });
  if (!created) return false;
  const tags: Record<string, string> = { 'neptune.project': ref.projectId, 'neptune.run_id': ref.runId };
  for (const [path, tag] of [
    ['sys/name', 'neptune.name'],
    ['sys/tags', 'neptune.tags'],
    ['sys/group_tags', 'neptune.group_tags'],
  ]) {
    const found = sys.get(path);
    const value = found ? valueOf(found) : undefined;
    if (value !== undefined && value !== '') tags[tag] = String(value);
  }
  await writer.tags(id, tags);
  await writer.params(id, run.params);
  const description = text('sys/description');
  if (description) await writer.note(id, description);
  // A Parquet file that cannot be read, or a file that vanished, is named; the run is still ended.
  let lastPoint: number | null = null;
  await writer.attempt(`run ${id} series`, async () => {
    lastPoint = await importSeries(writer, source, run, multiplier, skipped);
  });
  await writer.attempt(`run ${id} files`, () => importFiles(writer, source, run));
  const ended = time('sys/ping_time') ?? time('sys/modification_time') ?? lastPoint;
  if (sys.get('sys/failed')?.bool === true)
    await writer.end(id, { action: 'fail', reason: 'failed in Neptune (imported)' }, ended);
  else await writer.end(id, { action: 'finish' }, ended);
  if (sys.get('sys/trashed')?.bool === true) await writer.deleteRun(id);
  return true;
}

/** Float series as metrics; the time of the last point (the run's end when Neptune recorded none). */
async function importSeries(
  writer: ImportWriter,
  source: NeptuneExport,
  run: NeptuneRun,
  multiplier: number,
  skipped: Record<string, number>,
): Promise<number | null> {
  const points = writer.points(run.runlogId);
  const fractional = new Map<string, number>();
  let last: number | null = null;
  for await (const point of source.points(run.ref)) {
    if (point.type !== 'float_series') {
      skipped[point.type] = (skipped[point.type] ?? 0) + 1;
      continue;
    }
    // The exporter's steps are decimals of 6 places: rounded there after the multiply, 0.07 × 100 is 7.
    const step = Math.round(point.step * multiplier * 1e6) / 1e6;
    if (!Number.isSafeInteger(step)) {
      fractional.set(point.path, (fractional.get(point.path) ?? 0) + 1);
      continue;
    }
    const timestamp = point.timestamp === null ? undefined : Number(point.timestamp);
    if (timestamp !== undefined) last = Math.max(last ?? timestamp, timestamp);
    // The exporter writes a NaN as null (pandas to Arrow): a point without a value was a NaN.
    const value = point.float === null ? NaN : metricValue(point.float);
    await points.add(point.path, { step, value, ...(timestamp === undefined ? {} : { timestamp }) });
  }
  await points.close();
  for (const [path, count] of fractional)
    writer.summary.refused.push({
      what: `run ${run.runlogId} metric ${path}`,
      why: `${count} points have steps that are not integers after --step-multiplier ${multiplier}`,
    });
  return last;
}

/** Files and file series as artifacts under their attribute paths (a folder, a file set's, with what it holds). */
async function importFiles(writer: ImportWriter, source: NeptuneExport, run: NeptuneRun): Promise<void> {
  for (const row of run.files) {
    const what = `run ${run.runlogId} file ${row.path}`;
    const found = source.fileOf(run.ref.projectId, row.file ?? '');
    if (found === undefined) {
      writer.summary.refused.push({ what, why: `${row.file} is not under the export's files folder` });
      continue;
    }
    // A file set is a folder (its zip inside); a file, or one file of a series, keeps its exported name.
    const uploads = (await stat(found)).isDirectory()
      ? (await readdir(found, { recursive: true, withFileTypes: true }))
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name))
          .sort()
          .map((file) => ({ file, path: `${row.path}/${relative(found, file).split(sep).join('/')}` }))
      : [{ file: found, path: `${row.path}/${basename(found)}` }];
    await writer.uploads(run.runlogId, uploads);
  }
}
