import { Controller, Get, Inject, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  callerHeaders,
  IngestAnswerError,
  INGEST_ENDPOINT,
  ingestUrl,
  type IngestEndpoint,
} from '../../../../libs/ingest-client/src';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { MlflowError, mlflowErrorOf } from '../protocol/mlflow-error';
import { MlflowExceptionFilter } from '../protocol/mlflow-exception.filter';
import { RunReads } from '../runs/run-reads';
import { parseProxiedPath, rawAfter } from './artifact-proxy-path';

const ROOT = '/mlflow-artifacts/artifacts/';
/** Headers of a download passed back to the client as the native route set them. */
const DOWNLOAD_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'x-content-type-options',
  'etag',
];

/**
 * MLflow's artifact proxy (`mlflow-artifacts:/` URIs, which the client rewrites to these routes), over Runlog's
 * content-addressed store: an upload streams to the native upload route of the run (which checks the path, stores
 * the bytes once per digest and records them on the run), a download streams back from the native route.
 */
@Controller(['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'])
@UseFilters(MlflowExceptionFilter)
export class ArtifactProxyController {
  constructor(
    @Inject(INGEST_ENDPOINT) private readonly endpoint: IngestEndpoint,
    private readonly backend: MlflowBackend,
    private readonly reads: RunReads,
  ) {}

  @Put('artifacts/*path')
  async upload(@Req() request: Request, @Res() response: Response): Promise<void> {
    const target = parseProxiedPath(rawAfter(request.originalUrl, ROOT), true);
    await this.ownRun(request, target.experimentId, target.runId);
    const headers: Record<string, string> = callerHeaders(request);
    for (const name of ['content-type', 'content-length']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await this.native('PUT', `${target.runId}/artifacts/${target.rawPath}`, {
      headers,
      body: Readable.toWeb(request) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const json = (await answer.json()) as { consistencyToken?: unknown };
    if (typeof json.consistencyToken === 'string') this.backend.remember(json.consistencyToken);
    response.status(200).json({});
  }

  @Get('artifacts/*path')
  async download(@Req() request: Request, @Res() response: Response): Promise<void> {
    const target = parseProxiedPath(rawAfter(request.originalUrl, ROOT), true);
    await this.ownRun(request, target.experimentId, target.runId);
    const answer = await this.native('GET', `${target.runId}/artifacts/${target.rawPath}`, {
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
      await pipeline(Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream), response);
    } catch {
      // The upstream body or the client went away mid-stream: the response is cut, the process carries on.
      response.destroy();
    }
  }

  /** `?path=<experiment>/<run>/artifacts[/<dir>]`: the entries directly under it, basenames, directories marked. */
  @Get('artifacts')
  async list(@Req() request: Request, @Query('path') path: unknown): Promise<object> {
    if (typeof path !== 'string' || path === '') return {};
    const target = parseProxiedPath(path.replace(/\/+$/, ''), false);
    await this.ownRun(request, target.experimentId, target.runId);
    const directory = target.rawPath === '' ? '' : `${target.rawPath}/`;
    const answer = await this.native(
      'GET',
      `${target.runId}/artifacts?prefix=${encodeURIComponent(directory)}`,
      { headers: callerHeaders(request) },
    );
    const artifacts = (await answer.json()) as { path: string; size: number }[];
    const files: { path: string; is_dir: boolean; file_size?: number }[] = [];
    const directories = new Set<string>();
    for (const artifact of artifacts) {
      const [name, ...deeper] = artifact.path.slice(directory.length).split('/');
      if (deeper.length > 0) directories.add(name);
      else files.push({ path: name, is_dir: false, file_size: artifact.size });
    }
    for (const name of directories) files.push({ path: name, is_dir: true });
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return files.length === 0 ? {} : { files };
  }

  /** The run, read in the caller's scope, must be of the experiment the path names. */
  private async ownRun(request: Request, experimentId: string, runId: string): Promise<void> {
    const run = await this.reads.view(request, runId);
    if (run.experimentId !== experimentId) {
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `Run with id=${runId} not found in experiment ${experimentId}`,
      );
    }
  }

  private async native(method: string, path: string, init: RequestInit): Promise<globalThis.Response> {
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
