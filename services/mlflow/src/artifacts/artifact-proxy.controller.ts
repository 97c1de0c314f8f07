import { Controller, Get, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { invalid } from '../protocol/mlflow-error';
import { MlflowExceptionFilter } from '../protocol/mlflow-exception.filter';
import { parseProxiedPath, rawAfter } from './artifact-proxy-path';
import { NativeArtifacts } from './native-artifacts';

const ROOT = '/mlflow-artifacts/artifacts/';

/**
 * MLflow's artifact proxy (`mlflow-artifacts:/` URIs, which the client rewrites to these routes), over Runlog's
 * content-addressed store: an upload streams to the native upload route of the run (which checks the path, stores
 * the bytes once per digest and records them on the run), a download streams back from the native route.
 */
@Controller(['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'])
@UseFilters(MlflowExceptionFilter)
export class ArtifactProxyController {
  constructor(private readonly native: NativeArtifacts) {}

  @Put('artifacts/*path')
  async upload(@Req() request: Request, @Res() response: Response): Promise<void> {
    const target = parseProxiedPath(rawAfter(request.originalUrl, ROOT), true);
    await this.native.ownRun(request, target.experimentId, target.runId);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'content-length']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    await this.native.upload(request, target.runId, target.rawPath, request, headers);
    response.status(200).json({});
  }

  @Get('artifacts/*path')
  async download(@Req() request: Request, @Res() response: Response): Promise<void> {
    const target = parseProxiedPath(rawAfter(request.originalUrl, ROOT), true);
    await this.native.ownRun(request, target.experimentId, target.runId);
    await this.native.download(request, response, target.runId, target.rawPath);
  }

  /** `?path=<experiment>/<run>/artifacts[/<dir>]`: the entries directly under it, basenames, directories marked. */
  @Get('artifacts')
  async list(@Req() request: Request, @Query('path') path: unknown): Promise<object> {
    if (typeof path !== 'string' || path === '') return {};
    const target = parseProxiedPath(path.replace(/\/+$/, ''), false);
    await this.native.ownRun(request, target.experimentId, target.runId);
    // The path is plain or percent-encoded text without encoded separators (parseProxiedPath refuses those).
    let folder: string;
    try {
      folder = decodeURIComponent(target.rawPath);
    } catch {
      throw invalid('Invalid path');
    }
    const entries = await this.native.entries(request, target.runId, folder);
    const files = entries.map(({ name, isDir, size }) => ({
      path: name,
      is_dir: isDir,
      ...(isDir ? {} : { file_size: size }),
    }));
    return files.length === 0 ? {} : { files };
  }
}
