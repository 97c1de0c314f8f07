import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImportedPoint } from './import-writer';
import type {
  MlflowSource,
  SourceArtifact,
  SourceExperiment,
  SourceModel,
  SourceModelVersion,
  SourceRun,
} from './mlflow-source';

const HISTORY_PAGE = 25_000;
/** Bounds on what a server's listing may make this process write: folders deep, files in a run. */
const MAX_DEPTH = 32;
const MAX_FILES = 100_000;
const SEARCH_PAGE = 1_000;
/** `mlflow-artifacts:/<path>` or `mlflow-artifacts://<host>/<path>`: a run whose files the server proxies. */
const PROXIED = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.+)$/;

interface RunJson {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string;
    lifecycle_stage?: string;
    user_id?: string;
    artifact_uri?: string;
  };
  data?: {
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
    metrics?: { key: string }[];
  };
}

const pairs = (list: { key: string; value: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]));
const millis = (value: number | string | undefined) =>
  value === undefined || value === null || value === '' ? null : Number(value);
/** MLflow's JSON spells non-finite doubles as strings. */
const double = (value: number | string) =>
  typeof value === 'number'
    ? value
    : value === 'NaN'
      ? NaN
      : value === '-Infinity'
        ? -Infinity
        : Number(value);

/**
 * An MLflow tracking server read through its REST API, as its own client reads it: experiments and runs (deleted
 * ones too) by search, histories by paged get-history, files through the artifact proxy (`mlflow-artifacts:` runs;
 * a run whose files live elsewhere, an S3 bucket say, is named as refused). Credentials as MLflow's client takes
 * them: MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
 */
export class MlflowServerSource implements MlflowSource {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly artifactUris = new Map<string, string>();

  constructor(url: string, env: Record<string, string | undefined>) {
    this.base = url.replace(/\/+$/, '');
    const {
      MLFLOW_TRACKING_TOKEN: token,
      MLFLOW_TRACKING_USERNAME: user,
      MLFLOW_TRACKING_PASSWORD: password,
    } = env;
    this.headers = token
      ? { authorization: `Bearer ${token}` }
      : user
        ? { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` }
        : {};
  }

  async experiments(): Promise<SourceExperiment[]> {
    const found: SourceExperiment[] = [];
    let token: string | undefined;
    do {
      const page = (await this.post('experiments/search', {
        max_results: SEARCH_PAGE,
        view_type: 'ALL',
        ...(token ? { page_token: token } : {}),
      })) as {
        experiments?: { experiment_id: string; name: string; lifecycle_stage?: string }[];
        next_page_token?: string;
      };
      for (const experiment of page.experiments ?? [])
        found.push({
          id: experiment.experiment_id,
          name: experiment.name,
          deleted: experiment.lifecycle_stage === 'deleted',
        });
      token = page.next_page_token || undefined;
    } while (token);
    return found;
  }

  async runs(experiment: SourceExperiment): Promise<SourceRun[]> {
    const found: SourceRun[] = [];
    let token: string | undefined;
    do {
      const page = (await this.post('runs/search', {
        experiment_ids: [experiment.id],
        run_view_type: 'ALL',
        max_results: SEARCH_PAGE,
        order_by: ['attributes.start_time ASC'],
        ...(token ? { page_token: token } : {}),
      })) as { runs?: RunJson[]; next_page_token?: string };
      for (const run of page.runs ?? []) {
        const { info, data } = run;
        if (info.artifact_uri) this.artifactUris.set(info.run_id, info.artifact_uri);
        found.push({
          id: info.run_id,
          experimentId: info.experiment_id,
          name: info.run_name ?? '',
          status: info.status ?? 'RUNNING',
          startTime: millis(info.start_time),
          endTime: millis(info.end_time),
          deleted: info.lifecycle_stage === 'deleted',
          userId: info.user_id ?? '',
          params: pairs(data?.params),
          tags: pairs(data?.tags),
          metricKeys: [...new Set((data?.metrics ?? []).map((metric) => metric.key))].sort(),
        });
      }
      token = page.next_page_token || undefined;
    } while (token);
    return found;
  }

  async *points(run: SourceRun, key: string): AsyncGenerator<ImportedPoint> {
    let token: string | undefined;
    do {
      const query = new URLSearchParams({
        run_id: run.id,
        metric_key: key,
        max_results: String(HISTORY_PAGE),
      });
      if (token) query.set('page_token', token);
      const page = (await this.get(`metrics/get-history?${query}`)) as {
        metrics?: { value: number | string; timestamp: number | string; step?: number | string }[];
        next_page_token?: string;
      };
      for (const point of page.metrics ?? [])
        yield {
          step: Number(point.step ?? 0),
          value: double(point.value),
          timestamp: Number(point.timestamp),
        };
      token = page.next_page_token || undefined;
    } while (token);
  }

  async artifacts(run: SourceRun): Promise<{ files: SourceArtifact[]; release(): Promise<void> }> {
    const uri = this.artifactUris.get(run.id) ?? '';
    const proxied = PROXIED.exec(uri);
    if (!proxied) {
      if (uri === '') return { files: [], release: async () => {} };
      throw new Error(
        `its artifacts are at ${uri}, which the tracking server does not serve: copy them separately`,
      );
    }
    const root = proxied[1].replace(/\/+$/, '');
    const dir = await mkdtemp(join(tmpdir(), 'runlog-mlflow-artifacts-'));
    const files: SourceArtifact[] = [];
    const release = () => rm(dir, { recursive: true, force: true });
    try {
      for (const path of await this.listed(root, '')) {
        const file = join(dir, ...path.split('/'));
        await mkdir(dirname(file), { recursive: true });
        const response = await fetch(this.artifactUrl(`${root}/${path}`), { headers: this.headers });
        if (!response.ok || !response.body) throw new Error(`GET artifact ${path}: ${response.status}`);
        await pipeline(Readable.fromWeb(response.body as never), createWriteStream(file));
        files.push({ path, file });
      }
    } catch (error) {
      await release();
      throw error;
    }
    return { files, release };
  }

  async registeredModels(): Promise<SourceModel[]> {
    const models: SourceModel[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ max_results: String(SEARCH_PAGE) });
      if (token) query.set('page_token', token);
      const page = (await this.get(`registered-models/search?${query}`)) as {
        registered_models?: {
          name: string;
          description?: string;
          tags?: { key: string; value: string }[];
          aliases?: { alias: string; version: string | number }[];
        }[];
        next_page_token?: string;
      };
      for (const model of page.registered_models ?? [])
        models.push({
          name: model.name,
          description: model.description ?? '',
          tags: pairs(model.tags),
          aliases: Object.fromEntries(
            (model.aliases ?? []).map(({ alias, version }) => [alias, Number(version)]),
          ),
          versions: await this.versionsOf(model.name),
        });
      token = page.next_page_token || undefined;
    } while (token);
    return models;
  }

  private async versionsOf(name: string): Promise<SourceModelVersion[]> {
    const versions: SourceModelVersion[] = [];
    let token: string | undefined;
    do {
      const filter = `name = '${name.replaceAll("'", "''")}'`;
      const query = new URLSearchParams({ filter, max_results: String(SEARCH_PAGE) });
      if (token) query.set('page_token', token);
      const page = (await this.get(`model-versions/search?${query}`)) as {
        model_versions?: {
          version: string | number;
          run_id?: string;
          source?: string;
          current_stage?: string;
          description?: string;
        }[];
        next_page_token?: string;
      };
      for (const version of page.model_versions ?? [])
        versions.push({
          version: Number(version.version),
          runId: version.run_id ?? '',
          source: version.source ?? '',
          stage: version.current_stage || 'None',
          description: version.description ?? '',
        });
      token = page.next_page_token || undefined;
    } while (token);
    return versions;
  }

  async close(): Promise<void> {}

  /**
   * Every file under `root/prefix`, paths relative to root. What a server lists becomes a file written here, so a
   * name that could leave the download folder (`..`, `.`, empty, a backslash, an absolute path) is refused, and so
   * are listings past 32 folders deep or 100,000 files (a folder that lists itself).
   */
  private async listed(root: string, prefix: string, paths: string[] = [], depth = 0): Promise<string[]> {
    if (depth > MAX_DEPTH) throw new Error(`its artifact listing is deeper than ${MAX_DEPTH} folders`);
    const query = new URLSearchParams({ path: prefix ? `${root}/${prefix}` : root });
    const answer = (await this.fetchJson(`${this.base}/api/2.0/mlflow-artifacts/artifacts?${query}`)) as {
      files?: { path: string; is_dir?: boolean }[];
    };
    for (const entry of answer.files ?? []) {
      const segments = String(entry.path).split('/');
      if (segments.some((segment) => ['', '.', '..'].includes(segment) || segment.includes('\\')))
        throw new Error(
          `its artifact listing names ${JSON.stringify(entry.path)}, which is not a path under the run`,
        );
      const path = prefix ? `${prefix}/${entry.path}` : entry.path;
      if (entry.is_dir) await this.listed(root, path, paths, depth + 1);
      else paths.push(path);
      if (paths.length > MAX_FILES)
        throw new Error(`its artifact listing holds more than ${MAX_FILES} files`);
    }
    return paths;
  }

  private artifactUrl(path: string): string {
    return `${this.base}/api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  private post(endpoint: string, body: unknown): Promise<unknown> {
    return this.fetchJson(`${this.base}/api/2.0/mlflow/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  private get(endpoint: string): Promise<unknown> {
    return this.fetchJson(`${this.base}/api/2.0/mlflow/${endpoint}`);
  }

  private async fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
    const response = await fetch(url, { ...init, headers: { ...this.headers, ...(init.headers as object) } });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}
