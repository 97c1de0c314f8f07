import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { RunConsistency } from './consistency';
import { runHistory, type HistoryOptions, type HistoryPoint } from './history';
import {
  checkHistogram,
  checkMediaKey,
  checkTable,
  DEFAULT_BINS,
  histogramOf,
  imageExtension,
  mediaPath,
  type Histogram,
  type MediaKind,
  type MediaTable,
} from './media';
import type { Operation } from './operation';
import type { RunlogClient } from './runlog';
import { SystemMetricsSampler } from './system-metrics';
import { workerField } from './worker';

/*
 * A run of the SDK: what training code calls (log, logParams, logArtifact…), queued as operations that its
 * client sends in order. Split from runlog.ts, which holds the client: batching, retries, flushing, exit hooks.
 */

const MIN_TIMER_MS = 100;

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

  /** An image (PNG, JPEG, GIF, WebP or SVG bytes) of `key` at `step`: a confusion matrix, sample predictions. */
  logImage(key: string, step: number, image: Buffer, contentType = 'image/png'): Promise<unknown> {
    checkMediaKey(key, step);
    return this.logMedia(key, step, 'image', image, contentType, imageExtension(contentType));
  }

  /** A distribution of `key` at `step`: raw values (binned here, `bins` equal-width bins) or bins already made. */
  logHistogram(key: string, step: number, values: readonly number[] | Histogram, bins = DEFAULT_BINS) {
    checkMediaKey(key, step);
    const histogram = Array.isArray(values)
      ? histogramOf(values as number[], bins)
      : checkHistogram(values as Histogram);
    return this.logMedia(
      key,
      step,
      'histogram',
      Buffer.from(JSON.stringify(histogram)),
      'application/json',
      'json',
    );
  }

  /** A table of `key` at `step` (sample predictions, per-class metrics). */
  logTable(key: string, step: number, table: MediaTable): Promise<unknown> {
    checkMediaKey(key, step);
    const content = Buffer.from(JSON.stringify(checkTable(table)));
    return this.logMedia(key, step, 'table', content, 'application/json', 'json');
  }

  /** Uploads the content, then names it as the key's item at the step; resolves with the second answer. */
  private async logMedia(
    key: string,
    step: number,
    kind: MediaKind,
    content: Buffer,
    contentType: string,
    extension: string,
  ): Promise<unknown> {
    const path = mediaPath(key, step, extension);
    const uploaded = this.logArtifact(path, content, contentType);
    // Queued right behind the upload: one request at a time per run, so the artifact is there when it arrives.
    const named = new Promise((done, failed) =>
      this.enqueue({
        path: `/api/v1/runs/${this.runId}/media`,
        body: { eventId: randomUUID(), key, step, kind, path },
        points: 0,
        done,
        failed,
      }),
    );
    const [, answer] = await Promise.all([uploaded, named]);
    return answer;
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
