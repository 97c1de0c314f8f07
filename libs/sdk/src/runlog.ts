import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { graphqlRequest, type GraphqlOptions } from './consistency';
import { captureContext, type RunContext } from './context';
import { followRun, type FollowEvent, type FollowOptions } from './follow';
import { exportMetricPoints, type ExportedPoint, type MetricExportRequest, type ReadAccess } from './history';
import type { Operation } from './operation';
import { RunlogRequestError } from './request-error';
import { retryDelayMs } from './retry-after';
import { Run } from './run';
import {
  issueToken,
  listTokens,
  revokeToken,
  whoami,
  type ApiAccess,
  type IssuedToken,
  type IssueTokenRequest,
  type RevokedToken,
  type TokenView,
  type Whoami,
} from './token-api';
import { resolveWorker } from './worker';

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
export { fileDigest, flatten, Run, type InputSpec } from './run';
export { histogramOf, type Histogram, type MediaKind, type MediaTable } from './media';
export { SystemMetricsSampler } from './system-metrics';
export { resolveWorker, WORKER_LABEL_PATTERN } from './worker';
export type {
  AccessRole,
  IssuedToken,
  IssueTokenRequest,
  RevokedToken,
  TokenView,
  Whoami,
} from './token-api';

const gzip = promisify(gzipCallback);

/**
 * The Runlog client for training scripts (Node 20+, no dependencies beyond Node).
 *
 * Calls return at once: metric points are buffered per run in columns and a background flusher sends them as one
 * request every `flushEveryPoints` points or `flushIntervalMs`, gzipped. Every request carries an event id made when
 * it is cut, and is retried with the same id (the server appends it once) on network errors, 429 and 5xx, with
 * exponential backoff (waiting at least a 429's or 503's `Retry-After`), until it lands or the client is closed:
 * writes are never dropped for being early. A run's requests go out in order, one at a time, so
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
  /** An API token (`rl_…`) or an identity provider's JWT, sent as `authorization: Bearer`; default `RUNLOG_TOKEN`. */
  token?: string;
  /** The workspace requests act in (`x-runlog-workspace`); the token's own one when absent. */
  workspace?: string;
  /**
   * Asks for an "on behalf of" stamp (`x-runlog-actor`) on the events written: honored only for a principal allowed
   * to act for others. The actor of every event is always the authenticated principal.
   */
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
  /** An existing experiment; or `experimentName`: the workspace's experiment of that name, made if there is none. */
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

export class QueueFullError extends Error {}

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

export class RunlogClient {
  private readonly options: Required<
    Omit<
      RunlogClientOptions,
      'onError' | 'fetch' | 'token' | 'workspace' | 'actor' | 'readBaseUrl' | 'worker'
    >
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
  private readonly token: string | undefined;

  constructor(options: RunlogClientOptions) {
    this.worker = resolveWorker(options.worker);
    this.options = { ...DEFAULTS, compress: true, flushOnExit: true, ...options };
    this.options.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // A malformed URL would fail every request the way a network error does, and be retried forever.
    const url = new URL(this.options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${options.baseUrl}`);
    }
    this.token = options.token ?? (process.env.RUNLOG_TOKEN || undefined);
    // fetch refuses a header holding a newline or a space as a network error would fail, and that is retried forever.
    if (this.token !== undefined && !/^[\x21-\x7e]+$/.test(this.token)) {
      throw new TypeError('token (or RUNLOG_TOKEN) must be printable ASCII without spaces');
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
        body: { eventId: randomUUID(), name: options.experimentName ?? 'default', getOrCreate: true },
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

  /** Issues an API token (an admin's call): its secret is in this answer only. */
  issueToken(request: IssueTokenRequest): Promise<IssuedToken> {
    return issueToken(this.apiAccess(), request);
  }

  /** The tokens of a workspace (every one the caller administers when absent), revoked ones included. */
  listTokens(options: { workspace?: string } = {}): Promise<TokenView[]> {
    return listTokens(this.apiAccess(), options);
  }

  /** Revokes a token: every process refuses it once it has read the revocation from the log. */
  revokeToken(tokenId: string, reason?: string): Promise<RevokedToken> {
    return revokeToken(this.apiAccess(), tokenId, reason);
  }

  /** Who the server takes this client for, and its roles per workspace. */
  whoami(): Promise<Whoami> {
    return whoami(this.apiAccess());
  }

  /** @internal */
  readAccess(): ReadAccess {
    const baseUrl = (this.options.readBaseUrl ?? this.options.baseUrl).replace(/\/+$/, '');
    return { baseUrl, fetch: this.options.fetch ?? fetch, headers: this.callerHeaders() };
  }

  private apiAccess(): ApiAccess {
    return {
      baseUrl: this.options.baseUrl,
      fetch: this.options.fetch ?? fetch,
      headers: this.callerHeaders(),
    };
  }

  /** Who is asking, on every request: the credential, the workspace, and an asked-for "on behalf of". */
  private callerHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (this.options.workspace) headers['x-runlog-workspace'] = this.options.workspace;
    if (this.options.actor) headers['x-runlog-actor'] = this.options.actor;
    return headers;
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
      ...this.callerHeaders(),
      'content-type': operation.contentType ?? 'application/json',
    };
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
      let retryAfter: string | null = null;
      try {
        const response = await fetchImpl(`${this.options.baseUrl}${operation.path}`, {
          method: operation.method ?? 'POST',
          headers,
          ...(typeof body === 'function' ? { body: await body(), duplex: 'half' } : { body }),
        } as RequestInit);
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch {
        status = 0; // no answer: the request may or may not have landed; the same event id makes a retry safe
      }
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
      if (operation.once) return {} as T;
      const retriable = status === 0 || status === 408 || status === 429 || status >= 500;
      if (!retriable) throw new RunlogRequestError(status, text, operation.path);
      if (this.closed) throw new Error(`client closed while ${operation.path} was still being retried`);
      const backoff = Math.min(this.options.retryBaseDelayMs * 2 ** attempt, this.options.retryMaxDelayMs);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(backoff, retryAfter)));
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
