import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { v5 as uuidv5 } from 'uuid';
import { OperatorUsageError, type OperatorCliDependencies } from '../audit-verify';
import { operatorConnection } from '../connection';
import { ProgressLine } from '../progress';

/**
 * What every importer shares: the native API as the token's principal, event ids derived from what is imported (so
 * a second import of the same source appends nothing), refusals collected instead of stopping the import, progress
 * on stderr and a summary on stdout.
 */
export interface ImportSummary {
  experiments: number;
  runs: number;
  points: number;
  artifacts: number;
  refused: { what: string; why: string }[];
  /** What the source holds that Runlog's import does not carry, by kind. */
  skipped?: Record<string, number>;
  /** Registered models and their versions, when the source has a registry. */
  registered?: { models: number; versions: number };
}

export interface ImportedPoint {
  step: number;
  value: number;
  /** Milliseconds since the epoch, when the source recorded it. */
  timestamp?: number;
}

export interface ImportedRun {
  runId: string;
  experimentId: string;
  name: string;
  parentRunId?: string;
  user?: string;
  startedAt?: number | null;
}

export type RunEnding = { action: 'finish' } | { action: 'fail' | 'kill'; reason: string };

const POINTS_PER_REQUEST = 10_000;
const ENTRIES_PER_REQUEST = 1_000;

const sha256Of = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
const occurredAt = (ms: number | null | undefined) =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? {} : { occurredAt: new Date(ms).toISOString() };
/** Non-finite values travel as the strings the API accepts for them. */
const wireValue = (value: number) => (Number.isFinite(value) ? value : String(value));

/** `<command> <one source> [--url] [--token] [--json]` plus the importer's own string options. */
export function parseImportArgs<Extra extends string>(
  argv: readonly string[],
  source: string,
  extra: readonly Extra[] = [],
): { source: string; url?: string; token?: string; json: boolean } & Partial<Record<Extra, string>> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...Object.fromEntries(extra.map((name) => [name, { type: 'string' as const }])),
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new OperatorUsageError(`name one ${source}`);
    const strings = values as unknown as Partial<Record<'url' | 'token' | Extra, string>>;
    return { ...strings, source: positionals[0], json: values.json === true };
  } catch (error) {
    if (error instanceof OperatorUsageError) throw error;
    throw new OperatorUsageError(error instanceof Error ? error.message : String(error));
  }
}

export class ImportWriter {
  readonly summary: ImportSummary = { experiments: 0, runs: 0, points: 0, artifacts: 0, refused: [] };
  private readonly baseUrl: string;
  private readonly token: string | undefined;

  constructor(
    options: { url?: string; token?: string },
    private readonly dependencies: OperatorCliDependencies,
    /** The uuidv5 namespace of this importer's event ids: two importers never derive the same id. */
    private readonly namespace: string,
  ) {
    const connection = operatorConnection(options, dependencies.env);
    this.baseUrl = connection.baseUrl.replace(/\/$/, '');
    this.token = connection.token;
  }

  count(kind: 'models' | 'versions'): void {
    this.summary.registered ??= { models: 0, versions: 0 };
    this.summary.registered[kind]++;
  }

  eventId(...parts: (string | number)[]): string {
    return uuidv5(parts.join('/'), this.namespace);
  }

  progress(label: string, unit: string): ProgressLine {
    return new ProgressLine(this.dependencies.stderr, { label, unit, now: this.dependencies.now });
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': contentType }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      ...(body === undefined
        ? {}
        : contentType === 'application/json'
          ? { body: JSON.stringify(body) }
          : { body: Readable.toWeb(body as Readable) as ReadableStream, duplex: 'half' }),
    } as RequestInit);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }

  /** Runs one write; a refusal is recorded (and answered false) so the rest of the import goes on. */
  async attempt(what: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      this.summary.refused.push({ what, why: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /** The experiment of this name (made, or the one the workspace has): its id, or undefined when refused. */
  async experiment(name: string, experimentId?: string): Promise<string | undefined> {
    let id: string | undefined;
    const made = await this.attempt(`experiment ${experimentId ?? name}`, async () => {
      const answer = (await this.send('POST', '/api/v1/experiments', {
        eventId: this.eventId('experiment', experimentId ?? name),
        ...(experimentId === undefined ? {} : { experimentId }),
        name,
        getOrCreate: true,
      })) as { experimentId: string };
      id = answer.experimentId;
    });
    if (made) this.summary.experiments++;
    return made ? id : undefined;
  }

  async archiveExperiment(experimentId: string): Promise<void> {
    await this.attempt(`experiment ${experimentId} archive`, () =>
      this.send('POST', `/api/v1/experiments/${encodeURIComponent(experimentId)}/archive`, {
        eventId: this.eventId('experiment', experimentId, 'archive'),
      }),
    );
  }

  async createRun(run: ImportedRun): Promise<boolean> {
    const made = await this.attempt(`run ${run.runId}`, () =>
      this.send('POST', '/api/v1/runs', {
        eventId: this.eventId('run', run.runId),
        runId: run.runId,
        experimentId: run.experimentId,
        name: run.name,
        ...(run.parentRunId ? { parentRunId: run.parentRunId } : {}),
        ...(run.user ? { context: { user: run.user.slice(0, 256) } } : {}),
        ...occurredAt(run.startedAt),
      }),
    );
    if (made) this.summary.runs++;
    return made;
  }

  async params(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
    await this.entries(runId, 'params', params);
  }

  async tags(runId: string, tags: Record<string, string>): Promise<void> {
    await this.entries(runId, 'tags', tags);
  }

  /** One series, sent in requests of 10,000 points as they are read. */
  async metric(runId: string, key: string, points: AsyncIterable<ImportedPoint> | Iterable<ImportedPoint>) {
    const series = this.points(runId);
    for await (const point of points) await series.add(key, point);
    await series.close();
  }

  /** Points of a run's series in any order: each series is sent in requests of 10,000 as they fill. */
  points(runId: string): RunPoints {
    return new RunPoints(async (key, index, batch) => {
      const logged = await this.attempt(`run ${runId} metric ${key}`, () =>
        this.send('POST', `${this.runPath(runId)}/metrics`, {
          eventId: this.eventId('run', runId, 'metrics', key, index),
          metrics: [{ key, ...batch }],
        }),
      );
      if (logged) this.summary.points += batch.steps.length;
    });
  }

  /** Uploads each file as the artifact at `path`, unless the run holds that path already with the same digest. */
  async uploads(runId: string, files: readonly { file: string; path: string }[]): Promise<void> {
    if (files.length === 0) return;
    const base = this.runPath(runId);
    const listed = (await this.send('GET', `${base}/artifacts`).catch(() => [])) as {
      path: string;
      digest: string;
    }[];
    const present = new Map(listed.map((artifact) => [artifact.path, artifact.digest]));
    for (const { file, path } of files) {
      const encoded = path.split('/').map(encodeURIComponent).join('/');
      let sent = false;
      // A file that vanished or cannot be read is named; the rest goes on. Its bytes stream from disk.
      await this.attempt(`run ${runId} artifact ${path}`, async () => {
        if (present.get(path) === (await sha256Of(file))) return;
        await this.send(
          'PUT',
          `${base}/artifacts/${encoded}`,
          createReadStream(file),
          'application/octet-stream',
        );
        sent = true;
      });
      if (sent) this.summary.artifacts++;
    }
  }

  async note(runId: string, note: string): Promise<void> {
    await this.attempt(`run ${runId} note`, () =>
      this.send('POST', `${this.runPath(runId)}/note`, { eventId: this.eventId('run', runId, 'note'), note }),
    );
  }

  async end(runId: string, ending: RunEnding, at?: number | null): Promise<void> {
    await this.attempt(`run ${runId} ${ending.action}`, () =>
      this.send('POST', `${this.runPath(runId)}/${ending.action}`, {
        eventId: this.eventId('run', runId, ending.action),
        ...('reason' in ending ? { reason: ending.reason } : {}),
        ...occurredAt(at),
      }),
    );
  }

  async deleteRun(runId: string): Promise<void> {
    await this.attempt(`run ${runId} delete`, () =>
      this.send('DELETE', this.runPath(runId), { eventId: this.eventId('run', runId, 'delete') }),
    );
  }

  /** The summary on stdout (as JSON with --json); the exit code: 1 when something was refused. */
  report(json: boolean): number {
    const { summary } = this;
    const points = summary.points.toLocaleString('en');
    this.dependencies.stdout.write(
      json
        ? `${JSON.stringify(summary)}\n`
        : `imported ${summary.experiments} experiments, ${summary.runs} runs, ${points} points, ${summary.artifacts} artifacts` +
            (summary.registered
              ? `, ${summary.registered.models} registered models (${summary.registered.versions} versions)`
              : '') +
            (summary.skipped
              ? `; skipped ${Object.entries(summary.skipped)
                  .map(([kind, count]) => `${count} ${kind}`)
                  .join(', ')}`
              : '') +
            (summary.refused.length
              ? `; refused:\n${summary.refused.map((r) => `  ${r.what}: ${r.why}`).join('\n')}\n`
              : '\n'),
    );
    return summary.refused.length ? 1 : 0;
  }

  private runPath(runId: string): string {
    return `/api/v1/runs/${encodeURIComponent(runId)}`;
  }

  private async entries(
    runId: string,
    kind: 'params' | 'tags',
    values: Record<string, string | number | boolean>,
  ) {
    const keys = Object.keys(values);
    for (let i = 0; i < keys.length; i += ENTRIES_PER_REQUEST) {
      const chunk = Object.fromEntries(
        keys.slice(i, i + ENTRIES_PER_REQUEST).map((key) => [key, values[key]]),
      );
      await this.attempt(`run ${runId} ${kind}`, () =>
        this.send('POST', `${this.runPath(runId)}/${kind}`, {
          eventId: this.eventId('run', runId, kind, i),
          [kind]: chunk,
        }),
      );
    }
  }
}

interface PointBatch {
  steps: number[];
  values: (number | string)[];
  timestamps?: number[];
}

/** Bounded: at most 10,000 points of each series wait to be sent. */
export class RunPoints {
  private readonly pending = new Map<
    string,
    { index: number; batch: Required<PointBatch>; timed: boolean }
  >();

  constructor(private readonly send: (key: string, index: number, batch: PointBatch) => Promise<void>) {}

  async add(key: string, point: ImportedPoint): Promise<void> {
    let series = this.pending.get(key);
    if (!series) {
      series = { index: 0, batch: { steps: [], values: [], timestamps: [] }, timed: true };
      this.pending.set(key, series);
    }
    series.batch.steps.push(point.step);
    series.batch.values.push(wireValue(point.value));
    if (point.timestamp === undefined) series.timed = false;
    else series.batch.timestamps.push(point.timestamp);
    if (series.batch.steps.length >= POINTS_PER_REQUEST) await this.flush(key);
  }

  async close(): Promise<void> {
    for (const key of this.pending.keys()) await this.flush(key);
  }

  private async flush(key: string): Promise<void> {
    const series = this.pending.get(key);
    if (!series || series.batch.steps.length === 0) return;
    const { steps, values, timestamps } = series.batch;
    series.batch = { steps: [], values: [], timestamps: [] };
    const timed = series.timed;
    series.timed = true;
    await this.send(key, series.index++, { steps, values, ...(timed ? { timestamps } : {}) });
  }
}
