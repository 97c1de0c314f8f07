import { Session } from 'chdb';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * A Neptune export as neptune-exporter writes it (github.com/neptune-ai/neptune-exporter, model.py): Parquet files
 * `<data>/<project>/<run>_part_<N>.parquet` (older versions: `<project>/part_<N>.parquet`, many runs a file), one
 * long table whose rows are a run's attribute values and series points, one typed column per kind of value; files
 * under `<files>/<project>/`. Identity comes from the columns, never from the names (which are sanitized). Read by
 * ClickHouse itself (chDB, in this process), streamed row by row in file order so memory holds a chunk.
 */
export interface ExportedRunRef {
  projectId: string;
  runId: string;
  /** Its Parquet files, in part order. */
  files: string[];
  /** Why it cannot be imported (a part 0 missing: the exporter writes part 0 last, so the run is incomplete). */
  incomplete?: string;
}

/** One parameter-like row: a value with no step (or a file row of a file series). */
export interface ExportedAttribute {
  path: string;
  type: string;
  int: string | null;
  float: number | string | null;
  string: string | null;
  bool: boolean | null;
  /** Milliseconds since the epoch (ClickHouse quotes 64-bit integers). */
  datetime: string | number | null;
  set: string[] | null;
  file: string | null;
  step: number | null;
}

export interface ExportedPoint {
  path: string;
  type: string;
  step: number;
  timestamp: string | number | null;
  float: number | string | null;
}

const SERIES = `('float_series', 'string_series', 'histogram_series')`;
const sqlString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const PART = /^(.*)_part_(\d+)\.parquet$/;
/** File order (chDB may otherwise read row groups in parallel): a second import derives the same event ids. */
const IN_ORDER =
  'SETTINGS max_threads = 1, input_format_parquet_preserve_order = 1, output_format_json_quote_denormals = 1';

/** ClickHouse's file() reads `* ? { } [ ]` in a path as a glob: such a name would read other files as well. */
const GLOB = /[*?{}[\]]/;

function parquetFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(
      (entry) =>
        entry.isFile() && entry.name.endsWith('.parquet') && !GLOB.test(join(entry.parentPath, entry.name)),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort((a, b) => {
      const [pa, pb] = [PART.exec(a), PART.exec(b)];
      if (pa && pb && pa[1] === pb[1]) return Number(pa[2]) - Number(pb[2]);
      return a < b ? -1 : a > b ? 1 : 0;
    });
}

export class NeptuneExport {
  private readonly dir = mkdtempSync(join(tmpdir(), 'runlog-neptune-'));
  private readonly session = new Session(join(this.dir, 'chdb'));

  constructor(
    readonly dataDir: string,
    readonly filesDir: string | undefined,
  ) {}

  /** Where an export's data and files are, from the folder named: `<export>/{data,files}` or the data folder. */
  static locate(folder: string, files: string | undefined): { data: string; files: string | undefined } {
    if (existsSync(join(folder, 'data')) && statSync(join(folder, 'data')).isDirectory()) {
      return { data: join(folder, 'data'), files: files ?? join(folder, 'files') };
    }
    return { data: folder, files };
  }

  close(): void {
    this.session.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The runs of the export, each with the files holding its rows. */
  async runs(): Promise<ExportedRunRef[]> {
    const files = parquetFilesUnder(this.dataDir);
    const byRun = new Map<string, ExportedRunRef>();
    for (const file of files) {
      const sql = `SELECT DISTINCT project_id AS projectId, run_id AS runId FROM file(${sqlString(file)}, Parquet) ${IN_ORDER}`;
      for await (const row of this.rows<{ projectId: string; runId: string }>(sql)) {
        const key = JSON.stringify([row.projectId, row.runId]);
        const known = byRun.get(key) ?? { ...row, files: [] };
        known.files.push(file);
        byRun.set(key, known);
      }
    }
    for (const run of byRun.values()) {
      for (const file of run.files) {
        const part = PART.exec(basename(file));
        if (part && !existsSync(join(dirname(file), `${part[1]}_part_0.parquet`)))
          run.incomplete = `${file}: its run has no part 0, which the exporter writes last (an interrupted export)`;
      }
    }
    return [...byRun.values()];
  }

  /** The run's values without a step (parameters, sys/ fields, files) and the files of its file series. */
  async *attributes(run: ExportedRunRef): AsyncGenerator<ExportedAttribute> {
    for (const file of run.files) {
      yield* this.rows<ExportedAttribute>(
        `SELECT attribute_path AS path, attribute_type AS type, toString(int_value) AS int, float_value AS float,
                string_value AS string, bool_value AS bool,
                toUnixTimestamp64Milli(datetime_value) AS datetime,
                string_set_value AS set, file_value.path AS file, toFloat64(step) AS step
         FROM file(${sqlString(file)}, Parquet)
         WHERE project_id = ${sqlString(run.projectId)} AND run_id = ${sqlString(run.runId)}
           AND attribute_type NOT IN ${SERIES} ${IN_ORDER}`,
      );
    }
  }

  /** The run's series points, in file order. */
  async *points(run: ExportedRunRef): AsyncGenerator<ExportedPoint> {
    for (const file of run.files) {
      yield* this.rows<ExportedPoint>(
        `SELECT attribute_path AS path, attribute_type AS type, toFloat64(step) AS step,
                toUnixTimestamp64Milli(timestamp) AS timestamp, float_value AS float
         FROM file(${sqlString(file)}, Parquet)
         WHERE project_id = ${sqlString(run.projectId)} AND run_id = ${sqlString(run.runId)}
           AND attribute_type IN ${SERIES} ${IN_ORDER}`,
      );
    }
  }

  /** Where a file value's path is on disk: under the project's folder of the files root (its name sanitized). */
  fileOf(projectId: string, path: string): string | undefined {
    if (!this.filesDir || !existsSync(this.filesDir)) return undefined;
    const plain = [...projectId].map((c) => (/[\p{L}\p{N}_-]/u.test(c) ? c : '_')).join('');
    const folder = readdirSync(this.filesDir).find(
      (name) =>
        name === plain ||
        (name.startsWith(`${plain}-`) && /^[0-9a-f]{16}$/.test(name.slice(plain.length + 1))),
    );
    if (folder === undefined) return undefined;
    // A path from the export names a file under its project's folder, never one elsewhere on this machine: links
    // are resolved first, so a symbolic link in the export to a key or a home folder is outside too.
    if (!existsSync(resolve(this.filesDir, folder, path))) return undefined;
    const root = realpathSync(resolve(this.filesDir, folder));
    const target = realpathSync(resolve(root, path));
    const inside = relative(root, target);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
    return target;
  }

  private async *rows<T>(sql: string): AsyncGenerator<T> {
    yield* this.session.queryStream(sql, { format: 'JSONEachRow' }).rows<T>();
  }
}
