import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  callerHeaders,
  IngestAnswerError,
  INGEST_ENDPOINT,
  ingestUrl,
  type IngestEndpoint,
} from '../../../../libs/ingest-client/src';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { MlflowError, mlflowErrorOf } from '../protocol/mlflow-error';
import { RunReads } from '../runs/run-reads';

/** Headers of a download passed back to the client as the native route set them. */
const DOWNLOAD_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'x-content-type-options',
  'etag',
];

export interface ArtifactEntry {
  name: string;
  isDir: boolean;
  size?: number;
}

/**
 * A run's files through the native routes (`/api/v1/runs/<run>/artifacts/...`), as the caller: those check the path,
 * store the bytes once per digest and record them on the run. MLflow's proxy routes are mapped onto these.
 */
@Injectable()
export class NativeArtifacts {
  constructor(
    @Inject(INGEST_ENDPOINT) private readonly endpoint: IngestEndpoint,
    private readonly backend: MlflowBackend,
    private readonly reads: RunReads,
  ) {}

  /** The run, read in the caller's scope, must be of the experiment the path names. */
  async ownRun(request: Request, experimentId: string, runId: string): Promise<void> {
    const run = await this.reads.view(request, runId);
    if (run.experimentId !== experimentId) {
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `Run with id=${runId} not found in experiment ${experimentId}`,
      );
    }
  }

  /** Streams `body` to the run's file at `rawPath` (as the client spelled it); later reads wait for it. */
  async upload(
    request: Request,
    runId: string,
    rawPath: string,
    body: Readable,
    headers: Record<string, string>,
  ): Promise<void> {
    const answer = await this.call('PUT', `${runId}/artifacts/${rawPath}`, {
      headers: { ...callerHeaders(request), ...headers },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const json = (await answer.json()) as { consistencyToken?: unknown };
    if (typeof json.consistencyToken === 'string') this.backend.remember(json.consistencyToken);
  }

  /** The entries directly under `directory` (decoded, '' for the root): files with their size, folders marked. */
  async entries(request: Request, runId: string, directory: string): Promise<ArtifactEntry[]> {
    const prefix = directory === '' ? '' : `${directory}/`;
    const answer = await this.call('GET', `${runId}/artifacts?prefix=${encodeURIComponent(prefix)}`, {
      headers: callerHeaders(request),
    });
    const artifacts = (await answer.json()) as { path: string; size: number }[];
    const files: ArtifactEntry[] = [];
    const folders = new Set<string>();
    for (const artifact of artifacts) {
      const [name, ...deeper] = artifact.path.slice(prefix.length).split('/');
      if (deeper.length > 0) folders.add(name);
      else files.push({ name, isDir: false, size: artifact.size });
    }
    for (const name of folders) files.push({ name, isDir: true });
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Streams the run's file at `rawPath` to `response`, with the native route's headers. */
  async download(request: Request, response: Response, runId: string, rawPath: string): Promise<void> {
    const answer = await this.call('GET', `${runId}/artifacts/${rawPath}`, {
      headers: callerHeaders(request),
    });
    for (const name of DOWNLOAD_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) response.setHeader(name, value);
    }
    response.setHeader('x-content-type-options', 'nosniff');
    response.status(200);
    if (!answer.body) return void response.end();
    try {
      await pipeline(Readable.fromWeb(answer.body as WebReadableStream), response);
    } catch {
      // The upstream body or the client went away mid-stream: the response is cut, the process carries on.
      response.destroy();
    }
  }

  /** A native route of the run (`<runId>/artifacts...`); a refusal becomes MLflow's error. */
  async call(method: string, path: string, init: RequestInit): Promise<globalThis.Response> {
    if (!this.endpoint.baseUrl)
      throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'no ingest API to store artifacts with');
    let url: string;
    try {
      url = ingestUrl(this.endpoint.baseUrl, `/api/v1/runs/${path}`);
    } catch (error) {
      throw mlflowErrorOf(error);
    }
    let answer: globalThis.Response;
    try {
      answer = await fetch(url, { ...init, method });
    } catch (error) {
      throw new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        `the ingest API did not answer: ${(error as Error).message}`,
      );
    }
    if (answer.ok) return answer;
    const body = (await answer.json().catch(() => ({}))) as {
      error?: string;
      message?: string;
      field?: string;
    };
    throw mlflowErrorOf(
      new IngestAnswerError(
        body.error ?? 'ingest_error',
        body.message ?? `ingest answered ${answer.status}`,
        body.field,
      ),
    );
  }
}
