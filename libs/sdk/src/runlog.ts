import { graphqlRequest, RunConsistency, type GraphqlOptions } from './consistency';
import { followRun, type FollowEvent, type FollowOptions } from './follow';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { captureContext, type RunContext } from './context';
import {
  exportMetricPoints,
  runHistory,
  type ExportedPoint,
  type HistoryOptions,
  type HistoryPoint,
  type MetricExportRequest,
  type ReadAccess,
} from './history';
import { RunlogRequestError } from './request-error';
import { SystemMetricsSampler } from './system-metrics';
import { resolveWorker, workerField } from './worker';

export { captureContext, type RunContext } from './context';
export {
  collectHistory,
  type ExportedPoint,
  type HistoryColumns,
  type HistoryOptions,
  type HistoryPoint,
  type MetricExportRequest,
} from './history';
export { CONSISTENCY_TOKEN_HEADER, type GraphqlOptions } from './consistency';
export { FollowError, type FollowEvent, type FollowOptions, type FollowedPoint } from './follow';
export { RunlogRequestError } from './request-error';
export { SystemMetricsSampler } from './system-metrics';
export { resolveWorker, WORKER_LABEL_PATTERN } from './worker';

const gzip = promisify(gzipCallback);

/**
 * The Runlog client for training scripts (Node 20+, no dependencies beyond Node).
 *
 * Calls return at once: metric points are buffered per run in columns and a background flusher sends them as one
 * request every `flushEveryPoints` points or `flushIntervalMs`, gzipped. Every request carries an event id made when
 * it is cut, and is retried with the same id (the server appends it once) on network errors, 429 and 5xx, with
 * exponential backoff, until it lands or the client is closed. A run's requests go out in order, one at a time, so
 * `finish` lands after every point logged before it.
 *
 * Backpressure: at most `maxQueuedPoints` points wait (buffered or in unsent requests) across all runs. `log()`
 * returns a promise that is already settled while there is room; when the queue is full it settles once the points
 * fit, so `await run.log(...)` slows a loop down to what the server takes while it is down or slow. A caller that
 * does not await and keeps logging into a full queue gets QueueFullError once `maxWaitingLogs` calls wait.
 */
export interface RunlogClientOptions {
  /** `http://127.0.0.1:8080` */
  baseUrl: string;
  /** Where reads (`run.history`, `exportMetrics`) go when not to `baseUrl`: the gateway, where roles run apart. */
  readBaseUrl?: string;
  workspace?: string;
  actor?: string;
  flushEveryPoints?: number;
  flushIntervalMs?: number;
  maxQueuedPoints?: number;
  maxWaitingLogs?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /**
   * Every this often a running run with nothing in flight tells the server its client is alive (default 30 s), so
   * the server's stale marking (RUNLOG_STALE_AFTER_MS, 15 min by default) only catches runs whose process died.
   */
  heartbeatIntervalMs?: number;
  /** Gzip metric batches (default true). */
  compress?: boolean;
  /** Flush when the process is about to exit or gets SIGINT/SIGTERM (default true). */
  flushOnExit?: boolean;
  /** Called for a request the server refused for good (a 4xx other than 408/429): it is dropped. */
  onError?: (error: Error) => void;
  /** For tests and proxies: defaults to the global fetch. */
  fetch?: typeof fetch;
  /**
   * Distributed training: the label of this process' metric batches (a rank). Default: `RANK`, else `LOCAL_RANK`,
   * else none (the default worker); null: none even where those are set. See worker.ts.
   */
  worker?: string | null;
}

export interface StartRunOptions {
  /** An existing experiment; or `experimentName` to create one. */
  experimentId?: string;
  experimentName?: string;
  runId?: string;
  name?: string;
  params?: Record<string, unknown>;
  tags?: Record<string, string>;
  sweepId?: string;
  parentRunId?: string;
  /**
   * Record code (git commit, branch, remote, dirty flag, diff digest, entry point), environment (runtime, lockfile
   * digest, container image from RUNLOG_CONTAINER_IMAGE_DIGEST), hardware (CPU, memory, GPUs via nvidia-smi), user
   * and host at start (default true). Captured once per client; it takes a few milliseconds with git present.
   */
  captureContext?: boolean;
  /** Random seeds to record with the context, e.g. `{ torch: 42 }`. */
  seeds?: Record<string, number | string>;
  /** Sample CPU, memory and GPU use into `system/...` metrics every `intervalMs` (default 10 s) while running. */
  systemMetrics?: boolean | { intervalMs?: number };
}

/** A dataset a run reads; `digest` identifies its exact content (see `fileDigest`). */
export interface InputSpec {
  name: string;
  digest: string;
  source?: string;
  split?: string;
  rows?: number;
  schemaDigest?: string;
}

/** `sha256:<hex>` of a file's bytes, streamed: the digest to give `logInput` for a dataset file. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export class QueueFullError extends Error {}

interface Operation {
  path: string;
  body: unknown;
  points: number;
  method?: 'POST' | 'PUT';
  raw?: Buffer;
  /** A local file sent as the body, streamed from disk afresh on every attempt: never held in memory. */
  file?: string;
  contentType?: string;
  /** One attempt, failures ignored: for heartbeats, which the next one replaces. */
  once?: boolean;
  done?: (answer: unknown) => void;
  failed?: (error: Error) => void;
}

const DEFAULTS = {
  flushEveryPoints: 10_000,
  flushIntervalMs: 1_000,
  maxQueuedPoints: 1_000_000,
  maxWaitingLogs: 10_000,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5_000,
  heartbeatIntervalMs: 30_000,
};
const SYSTEM_METRICS_INTERVAL_MS = 10_000;
const MIN_TIMER_MS = 100;

export class RunlogClient {
  private readonly options: Required<
    Omit<RunlogClientOptions, 'onError' | 'fetch' | 'workspace' | 'actor' | 'readBaseUrl' | 'worker'>
  > &
    RunlogClientOptions;
  private readonly runs = new Set<Run>();
  private queuedPoints = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private context: Promise<RunContext> | null = null;
  private readonly exitHooks: { event: string; handler: (...args: unknown[]) => void }[] = [];
  /** The worker label of this process' metric batches (undefined: the default worker). */
  readonly worker: string | undefined;

  constructor(options: RunlogClientOptions) {
    this.worker = resolveWorker(options.worker);
    this.options = { ...DEFAULTS, compress: true, flushOnExit: true, ...options };
    this.options.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // A malformed URL would fail every request the way a network error does, and be retried forever.
    const url = new URL(this.options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${options.baseUrl}`);
    }
    this.timer = setInterval(() => this.flushBuffers(), this.options.flushIntervalMs);
    this.timer.unref();
    if (this.options.flushOnExit) this.installExitHooks();
  }

  async startRun(options: StartRunOptions = {}): Promise<Run> {
    let experimentId = options.experimentId;
    if (!experimentId) {
      const created = await this.send<{ experimentId: string }>({
        path: '/api/v1/experiments',
        body: { eventId: randomUUID(), name: options.experimentName ?? 'default' },
        points: 0,
      });
      experimentId = created.experimentId;
    }
    const eventId = randomUUID();
    let context: RunContext | undefined;
    if (options.captureContext !== false) {
      // Code, environment and hardware do not change within a process: captured once, seeds added per run.
      this.context ??= captureContext();
      context = { ...(await this.context), ...(options.seeds ? { seeds: options.seeds } : {}) };
    } else if (options.seeds) {
      context = { seeds: options.seeds };
    }
    const created = await this.send<{ runId: string }>({
      path: '/api/v1/runs',
      body: {
        eventId,
        experimentId,
        runId: options.runId ?? eventId,
        name: options.name,
        sweepId: options.sweepId,
        parentRunId: options.parentRunId,
        context,
      },
      points: 0,
    });
    const run = new Run(this, created.runId, this.options.heartbeatIntervalMs);
    run.noteAnswer(created);
    this.runs.add(run);
    if (options.params) run.logParams(options.params);
    if (options.tags) run.setTags(options.tags);
    if (options.systemMetrics) {
      const every = options.systemMetrics === true ? undefined : options.systemMetrics.intervalMs;
      run.sampleSystemMetrics(every ?? SYSTEM_METRICS_INTERVAL_MS);
    }
    return run;
  }

  /**
   * A run another process of the same job started (its id handed over, e.g. through the launcher's environment):
   * this process logs into it under its own worker label. Nothing is sent until it logs; the process that started
   * the run ends it.
   */
  attachRun(runId: string): Run {
    const run = new Run(this, runId, this.options.heartbeatIntervalMs);
    this.runs.add(run);
    return run;
  }

  /** Runs `fn` in a new run: finished when it returns, failed with the error (and rethrown) when it throws. */
  async withRun<T>(options: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    const run = await this.startRun(options);
    try {
      const result = await fn(run);
      await run.finish();
      return result;
    } catch (error) {
      await run.fail(error);
      throw error;
    }
  }

  /** Sends everything buffered and waits until every run's requests have landed (or were refused for good). */
  async flush(): Promise<void> {
    this.flushBuffers();
    await Promise.all([...this.runs].map((run) => run.drained()));
  }

  /**
   * Sends everything, including the points of log() calls still waiting for room in the queue (they are admitted
   * as the queue drains, after a first flush), then stops. A batch being retried is never abandoned by close.
   */
  async close(): Promise<void> {
    do await this.flush();
    while (this.waiting.length > 0 || [...this.runs].some((run) => run.busy));
    for (const run of this.runs) run.stopTimers();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const { event, handler } of this.exitHooks.splice(0)) process.off(event, handler);
  }

  /** @internal points entering the queue; resolves when they fit */
  admit(points: number): Promise<void> {
    if (this.queuedPoints + points <= this.options.maxQueuedPoints || this.queuedPoints === 0) {
      this.queuedPoints += points;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxWaitingLogs) {
      return Promise.reject(
        new QueueFullError(
          `${this.queuedPoints} points wait to be sent and ${this.waiting.length} log() calls wait for room: await log()`,
        ),
      );
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.queuedPoints += points;
        resolve();
      }),
    );
  }

  /** @internal */
  release(points: number): void {
    this.queuedPoints -= points;
    while (this.waiting.length > 0 && this.queuedPoints < this.options.maxQueuedPoints)
      this.waiting.shift()!();
  }

  /** Raw points of any runs and keys, every one the store holds, read page by page as it is iterated. */
  exportMetrics(request: MetricExportRequest): AsyncIterable<ExportedPoint> {
    return exportMetricPoints(this.readAccess(), request);
  }

  /** A live run over graphql-ws: its status and the new points of `options.keys`, until it ends (follow.ts). */
  follow(runId: string, options: FollowOptions = {}): AsyncIterable<FollowEvent> {
    return followRun(this.readAccess(), runId, options);
  }

  /** A GraphQL query to the gateway; with `consistencyToken` (from `run.consistencyToken()`) it sees those writes. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    options: GraphqlOptions = {},
  ): Promise<T> {
    return graphqlRequest<T>(this.readAccess(), query, variables, options);
  }

  /** @internal */
  readAccess(): ReadAccess {
    const headers: Record<string, string> = {};
    if (this.options.workspace) headers['x-runlog-workspace'] = this.options.workspace;
    if (this.options.actor) headers['x-runlog-actor'] = this.options.actor;
    const baseUrl = (this.options.readBaseUrl ?? this.options.baseUrl).replace(/\/+$/, '');
    return { baseUrl, fetch: this.options.fetch ?? fetch, headers };
  }

  /** @internal */
  get flushEveryPoints(): number {
    return this.options.flushEveryPoints;
  }

  /** @internal */
  forget(run: Run): void {
    this.runs.delete(run);
  }

  /** @internal one request, retried with the same body (so the same event id) until it lands or is refused */
  async send<T>(operation: Operation): Promise<T> {
    const fetchImpl = this.options.fetch ?? fetch;
    const headers: Record<string, string> = {
      'content-type': operation.contentType ?? 'application/json',
    };
    if (this.options.workspace) headers['x-runlog-workspace'] = this.options.workspace;
    if (this.options.actor) headers['x-runlog-actor'] = this.options.actor;
    let body: Buffer | (() => Promise<ReadableStream<Uint8Array>>);
    if (operation.raw) {
      body = operation.raw;
    } else if (operation.file) {
      const file = operation.file;
      body = async () => {
        headers['content-length'] = String((await stat(file)).size);
        return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
      };
    } else {
      body = Buffer.from(JSON.stringify(operation.body));
      if (this.options.compress && operation.points > 0) {
        body = await gzip(body);
        headers['content-encoding'] = 'gzip';
      }
    }
    for (let attempt = 0; ; attempt += 1) {
      let status = 0;
      let text = '';
      try {
        const response = await fetchImpl(`${this.options.baseUrl}${operation.path}`, {
          method: operation.method ?? 'POST',
          headers,
          ...(typeof body === 'function' ? { body: await body(), duplex: 'half' } : { body }),
        } as RequestInit);
        status = response.status;
        text = await response.text();
      } catch {
        status = 0; // no answer: the request may or may not have landed; the same event id makes a retry safe
      }
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
      if (operation.once) return {} as T;
      const retriable = status === 0 || status === 408 || status === 429 || status >= 500;
      if (!retriable) throw new RunlogRequestError(status, text, operation.path);
      if (this.closed) throw new Error(`client closed while ${operation.path} was still being retried`);
      const delay = Math.min(this.options.retryBaseDelayMs * 2 ** attempt, this.options.retryMaxDelayMs);
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random() / 2)));
    }
  }

  /** @internal */
  reportError(error: Error): void {
    if (this.options.onError) this.options.onError(error);
    else console.error(`[runlog] ${error.message}`);
  }

  private flushBuffers(): void {
    for (const run of this.runs) run.cutBatch();
  }

  private installExitHooks(): void {
    const beforeExit = () => {
      if (this.queuedPoints > 0 || [...this.runs].some((run) => run.busy)) void this.flush();
    };
    process.on('beforeExit', beforeExit);
    this.exitHooks.push({ event: 'beforeExit', handler: beforeExit });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = () => {
        // Flush, then let the signal do what it would have done without this handler.
        void this.flush().finally(() => {
          process.off(signal, handler);
          process.kill(process.pid, signal);
        });
      };
      process.once(signal, handler);
      this.exitHooks.push({ event: signal, handler });
    }
  }
}

/** One run: its calls queue operations that its sender sends in order. */
export class Run {
  private columns = new Map<string, { steps: number[]; values: (number | string)[]; timestamps: number[] }>();
  private bufferedPoints = 0;
  private readonly queue: Operation[] = [];
  private sending: Promise<void> | null = null;
  private idle: (() => void)[] = [];
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly consistency = new RunConsistency();

  constructor(
    private readonly client: RunlogClient,
    readonly runId: string,
    heartbeatIntervalMs: number,
  ) {
    // Only while nothing is in flight: any request of the run already tells the server the client is alive.
    this.every(heartbeatIntervalMs, () => {
      if (!this.sending) {
        this.enqueue({ path: `/api/v1/runs/${this.runId}/heartbeat`, body: {}, points: 0, once: true });
      }
    });
  }

  /** @internal */
  sampleSystemMetrics(intervalMs: number): void {
    const sampler = new SystemMetricsSampler();
    let step = 0;
    let sampling = false;
    this.every(intervalMs, async () => {
      // nvidia-smi may take longer than the interval: one sample at a time keeps the steps in order.
      if (sampling) return;
      sampling = true;
      try {
        const sample = await sampler.sample();
        if (!this.ended && Object.keys(sample).length > 0) await this.log(sample, step++).catch(() => {});
      } finally {
        sampling = false;
      }
    });
  }

  /** @internal the run's background work (heartbeats, sampling) stops; what it queued is still sent */
  stopTimers(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  private every(intervalMs: number, tick: () => unknown): void {
    const timer = setInterval(tick, Math.max(MIN_TIMER_MS, intervalMs));
    timer.unref();
    this.timers.push(timer);
  }

  get busy(): boolean {
    return this.sending !== null || this.bufferedPoints > 0;
  }

  /**
   * The run's points of `keys` (every key when absent) as the store holds them, in (key, step, time, worker) order,
   * read page by page as they are iterated (`collectHistory` gathers them into columns). Points still buffered here
   * or not yet projected are not in it: `await client.flush()` first, and allow for the projection's lag.
   */
  history(keys?: readonly string[], options?: HistoryOptions): AsyncIterable<HistoryPoint> {
    return runHistory(this.client.readAccess(), this.runId, keys, options);
  }

  /** Nested objects are flattened to dotted keys: `{ optimizer: { lr: 0.1 } }` logs `optimizer.lr`. */
  logParams(params: Record<string, unknown>): void {
    this.enqueue({
      path: `/api/v1/runs/${this.runId}/params`,
      body: { eventId: randomUUID(), params: flatten(params) },
      points: 0,
    });
  }

  /** Datasets the run reads (lineage); the same name and digest again is recorded once. */
  logInput(...inputs: InputSpec[]): void {
    this.enqueue({
      path: `/api/v1/runs/${this.runId}/inputs`,
      body: { eventId: randomUUID(), inputs },
      points: 0,
    });
  }

  /** Free text about the run (markdown); replaces the previous note, and may be set after the run ended. */
  setNote(note: string): void {
    this.enqueue({
      path: `/api/v1/runs/${this.runId}/note`,
      body: { eventId: randomUUID(), note },
      points: 0,
    });
  }

  setTags(tags: Record<string, string>): void {
    this.enqueue({
      path: `/api/v1/runs/${this.runId}/tags`,
      body: { eventId: randomUUID(), tags },
      points: 0,
    });
  }

  /**
   * Points of several keys at one step; await it for backpressure (it is settled at once while there is room).
   * NaN and ±Infinity are kept as such; a value that is not a number throws here, naming its key, rather than
   * making the server refuse the whole batch later.
   */
  async log(metrics: Record<string, number>, step: number, timestamp = Date.now()): Promise<void> {
    // Checked before and after waiting for room: points logged to an ended run would be admitted and never sent.
    this.assertOpen();
    const keys = Object.keys(metrics);
    for (const key of keys) {
      if (typeof metrics[key] !== 'number')
        throw new TypeError(`metric "${key}" is not a number: ${String(metrics[key])}`);
    }
    await this.client.admit(keys.length);
    if (this.ended) {
      this.client.release(keys.length);
      this.assertOpen();
    }
    for (const key of keys) {
      let column = this.columns.get(key);
      if (!column) {
        column = { steps: [], values: [], timestamps: [] };
        this.columns.set(key, column);
      }
      const value = metrics[key];
      column.steps.push(step);
      // JSON has no NaN or infinities; the server takes them as these strings and keeps them as such.
      column.values.push(
        Number.isFinite(value) ? value : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity',
      );
      column.timestamps.push(timestamp);
    }
    this.bufferedPoints += keys.length;
    if (this.bufferedPoints >= this.client.flushEveryPoints) this.cutBatch();
  }

  /** Uploads a file's bytes under `path` in the run's artifacts; resolves with what the server recorded. */
  logArtifact(path: string, content: Buffer, contentType = 'application/octet-stream'): Promise<unknown> {
    return this.upload(path, { raw: content }, contentType);
  }

  /** Uploads a local file, streamed from disk (a checkpoint of any size), under `path` (default: its name). */
  logArtifactFile(localPath: string, path = basename(localPath), contentType = 'application/octet-stream') {
    return this.upload(path, { file: localPath }, contentType);
  }

  /**
   * Uploads every file under a local folder, streamed one after the other, keeping its layout under `prefix`
   * (`checkpoints/epoch-3/...`). Resolves with what the server recorded for each, in path order.
   */
  async logArtifactDir(localDir: string, prefix = basename(localDir)): Promise<unknown[]> {
    const entries = await readdir(localDir, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(localDir, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort();
    return Promise.all(
      files.map((file) => this.logArtifactFile(join(localDir, file), prefix ? `${prefix}/${file}` : file)),
    );
  }

  private upload(
    path: string,
    content: { raw: Buffer } | { file: string },
    contentType: string,
  ): Promise<unknown> {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return new Promise((done, failed) =>
      this.enqueue({
        path: `/api/v1/runs/${this.runId}/artifacts/${encoded}`,
        method: 'PUT',
        body: null,
        ...content,
        contentType,
        points: 0,
        done,
        failed,
      }),
    );
  }

  async finish(): Promise<void> {
    await this.end({ path: `/api/v1/runs/${this.runId}/finish`, body: { eventId: randomUUID() }, points: 0 });
  }

  async fail(error: unknown): Promise<void> {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const stackTrace = error instanceof Error && error.stack ? error.stack.slice(0, 65_536) : undefined;
    await this.end({
      path: `/api/v1/runs/${this.runId}/fail`,
      body: { eventId: randomUUID(), reason: reason.slice(0, 4000) || 'failed', stackTrace },
      points: 0,
    });
  }

  /**
   * Sends what is buffered and returns the token of everything this run wrote so far: pass it to
   * `client.graphql(…, { consistencyToken })` and the read waits until the projection holds it (read-your-writes).
   */
  async consistencyToken(): Promise<string | undefined> {
    await this.drained();
    return this.consistency.header();
  }

  /** @internal the answer of a request made for this run outside its queue (its creation) */
  noteAnswer(answer: unknown): void {
    this.consistency.record(answer);
  }

  /** @internal */
  cutBatch(): void {
    if (this.bufferedPoints === 0) return;
    const metrics = [...this.columns].map(([key, column]) => ({ key, ...column }));
    const points = this.bufferedPoints;
    this.columns = new Map();
    this.bufferedPoints = 0;
    this.enqueue({
      path: `/api/v1/runs/${this.runId}/metrics`,
      body: { eventId: randomUUID(), ...workerField(this.client.worker), metrics },
      points,
    });
  }

  /** @internal resolves when nothing of this run waits to be sent */
  drained(): Promise<void> {
    this.cutBatch();
    if (!this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private assertOpen(): void {
    if (this.ended) throw new Error(`run ${this.runId} has ended: nothing more can be logged to it`);
  }

  private async end(operation: Operation): Promise<void> {
    this.assertOpen();
    this.ended = true;
    this.stopTimers();
    this.cutBatch();
    await new Promise<void>((done, failed) => this.enqueue({ ...operation, done: () => done(), failed }));
    await this.drained();
    this.client.forget(this);
  }

  private enqueue(operation: Operation): void {
    this.queue.push(operation);
    this.sending ??= this.sendAll();
  }

  private async sendAll(): Promise<void> {
    // One request at a time per run: the server sees a run's operations in the order they were made.
    for (let operation = this.queue.shift(); operation; operation = this.queue.shift()) {
      try {
        const answer = await this.client.send(operation);
        this.noteAnswer(answer);
        operation.done?.(answer);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (operation.failed) operation.failed(failure);
        else this.client.reportError(failure);
      } finally {
        if (operation.points > 0) this.client.release(operation.points);
      }
    }
    this.sending = null;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

/** `{ a: { b: 1 }, c: [1, 2] }` → `{ 'a.b': 1, c: '[1,2]' }`: nested configs become dotted keys. */
export function flatten(
  params: Record<string, unknown>,
  prefix = '',
): Record<string, string | number | boolean> {
  const flat: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(flat, flatten(value as Record<string, unknown>, name));
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      flat[name] = value;
    } else {
      flat[name] = JSON.stringify(value) ?? String(value);
    }
  }
  return flat;
}
