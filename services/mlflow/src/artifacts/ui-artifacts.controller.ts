import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { posix } from 'node:path';
import { MlflowError } from '../protocol/mlflow-error';
import { MlflowExceptionFilter } from '../protocol/mlflow-exception.filter';
import { MlflowFields } from '../protocol/mlflow-fields';
import { MLMODEL, modelFolderOf } from '../registry/registry-json';
import { RegistryReads } from '../registry/registry-reads';
import { RunReads } from '../runs/run-reads';
import { safeArtifactPath } from './artifact-reads.endpoints';
import { NativeArtifacts } from './native-artifacts';

const encodedPath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/**
 * The file reads MLflow's web UI makes outside the REST prefix: a run's file (`/get-artifact`) and a file of a
 * registered version's model (`/model-versions/get-artifact`), streamed from the native download as the caller.
 */
@Controller()
@UseFilters(MlflowExceptionFilter)
export class UiArtifactsController {
  constructor(
    private readonly runs: RunReads,
    private readonly registry: RegistryReads,
    private readonly native: NativeArtifacts,
  ) {}

  @Get('get-artifact')
  async runFile(@Req() request: Request, @Res() response: Response): Promise<void> {
    const fields = MlflowFields.of(request);
    const runId = fields.string('run_id') ?? fields.string('run_uuid');
    if (runId === undefined) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Request must specify run_id.');
    const path = this.filePath(fields);
    await this.runs.view(request, runId);
    await this.native.download(request, response, runId, encodedPath(path));
  }

  @Get('model-versions/get-artifact')
  async versionFile(@Req() request: Request, @Res() response: Response): Promise<void> {
    const fields = MlflowFields.of(request);
    const path = this.filePath(fields);
    const [, version] = await this.registry.version(
      request,
      fields.required('name'),
      fields.required('version'),
    );
    // A model registered as a folder (its MLmodel) serves the folder's files; one registered as a file, its own.
    const folder = version.artifactPath.endsWith(MLMODEL)
      ? modelFolderOf(version.artifactPath)
      : posix.dirname(version.artifactPath).replace(/^\.$/, '');
    const inModel = folder === '' ? path : `${folder}/${path}`;
    await this.native.download(request, response, version.runId, encodedPath(inModel));
  }

  private filePath(fields: MlflowFields): string {
    const path = safeArtifactPath(fields.string('path'));
    if (path === '') throw new MlflowError('INVALID_PARAMETER_VALUE', 'Request must specify path.');
    return path;
  }
}
