import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { MlflowEndpoint, MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid, notFound } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';
import { RunReads } from '../runs/run-reads';
import { runArtifactUri } from '../runs/run-json';
import { NativeArtifacts, type ArtifactEntry } from './native-artifacts';

/**
 * A relative artifact path as MLflow's server takes one (`validate_path_is_safe`): no `..`, no absolute or drive
 * path, no `.`/empty segment, no URL-ish characters. The native route checks it again when it is read.
 */
export function safeArtifactPath(path: string | undefined): string {
  if (path === undefined) return '';
  const trimmed = path.replace(/\/+$/, '');
  const segments = trimmed.split('/');
  const unsafe =
    trimmed.startsWith('/') ||
    /^[A-Za-z]:/.test(trimmed) ||
    /[\\\0#?;%]/.test(trimmed) ||
    /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ||
    (trimmed !== '' && segments.some((segment) => segment === '' || segment === '.' || segment === '..'));
  // MLflow's own words, which its clients and tests match.
  if (unsafe) throw invalid('Invalid path');
  return trimmed;
}

const fileInfos = (directory: string, entries: ArtifactEntry[]) =>
  entries.map(({ name, isDir, size }) => ({
    path: directory === '' ? name : `${directory}/${name}`,
    is_dir: isDir,
    ...(isDir ? {} : { file_size: size }),
  }));

/**
 * MLflow's artifact reads outside the proxy: the REST API's `artifacts/list` (a run's folder, paths relative to the
 * run's root) and the UI's logged-model artifact listing and file (a logged model is a run underneath in Runlog).
 */
@Injectable()
export class ArtifactReadsEndpoints implements MlflowEndpoints {
  constructor(
    private readonly reads: RunReads,
    private readonly native: NativeArtifacts,
  ) {}

  endpoints(): MlflowEndpoint[] {
    return [
      {
        methods: ['GET'],
        path: 'artifacts/list',
        handle: async ({ fields, request }) => {
          const runId = fields.string('run_id') ?? fields.string('run_uuid');
          if (runId === undefined) throw invalid("Missing value for required parameter 'run_id'");
          return this.listing(request, runId, safeArtifactPath(fields.string('path')));
        },
      },
      {
        methods: ['GET'],
        path: 'logged-models/{modelId}/artifacts/directories',
        handle: async ({ fields, request, params }) =>
          this.listing(
            request,
            await this.loggedModel(request, params.modelId),
            safeArtifactPath(fields.string('artifact_directory_path')),
          ),
      },
      {
        methods: ['GET'],
        path: 'logged-models/{modelId}/artifacts/files',
        handle: async ({ fields, request, response, params }) => {
          const path = this.requiredPath(fields, 'artifact_file_path');
          const modelId = await this.loggedModel(request, params.modelId);
          await this.native.download(
            request,
            response,
            modelId,
            path.split('/').map(encodeURIComponent).join('/'),
          );
          return undefined;
        },
      },
    ];
  }

  private async listing(request: Request, runId: string, directory: string) {
    const run = await this.reads.view(request, runId);
    const entries = await this.native.entries(request, runId, directory);
    return { root_uri: runArtifactUri(run.experimentId, runId), files: fileInfos(directory, entries) };
  }

  /** A logged model the caller sees (its run's id); anything else is not one. */
  private async loggedModel(request: Request, modelId: string): Promise<string> {
    if (!modelId.startsWith('m-')) throw notFound(`Logged model with ID '${modelId}' not found.`);
    await this.reads.view(request, modelId);
    return modelId;
  }

  private requiredPath(fields: MlflowFields, field: string): string {
    const path = safeArtifactPath(fields.string(field));
    if (path === '') throw invalid(`Request must include the "${field}" query parameter.`);
    return path;
  }
}
