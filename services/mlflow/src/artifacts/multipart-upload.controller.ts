import { Body, Controller, HttpCode, Param, Post, Put, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { invalid } from '../protocol/mlflow-error';
import { MlflowExceptionFilter } from '../protocol/mlflow-exception.filter';
import { parseProxiedPath, rawAfter, type ProxiedPath } from './artifact-proxy-path';
import { MultipartUploads } from './multipart-uploads';
import { NativeArtifacts } from './native-artifacts';

/** Where a part is sent: under the prefix the client called, so a proxy in front routes it the same way. */
const PART_ROUTE = 'mpu/parts';

function uploadIdOf(body: unknown): string {
  const id = (body as { upload_id?: unknown } | undefined)?.upload_id;
  if (typeof id !== 'string' || id === '') throw invalid("Missing value for required parameter 'upload_id'");
  return id;
}

/**
 * MLflow's proxied multipart upload (`MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`, for files over
 * `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`): create names a URL per part, the client PUTs each part there in
 * parallel (without credentials, as to a presigned S3 URL: the upload id is the secret), then complete stores the
 * parts as one file of the run, through the same native upload as a single PUT, as the caller: completing needs
 * write on the run, whoever sent the parts.
 */
@Controller(['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'])
@UseFilters(MlflowExceptionFilter)
export class MultipartUploadController {
  constructor(
    private readonly uploads: MultipartUploads,
    private readonly native: NativeArtifacts,
  ) {}

  @Post('mpu/create/*path')
  @HttpCode(200)
  async create(@Req() request: Request, @Body() body: unknown) {
    const target = this.targetOf(request, 'mpu/create', body);
    await this.native.ownRun(request, target.experimentId, target.runId);
    const raw = (body as { num_parts?: unknown } | undefined)?.num_parts;
    const parts = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof parts !== 'number') throw invalid("Missing value for required parameter 'num_parts'");
    const id = await this.uploads.create(target, parts);
    const prefix = request.originalUrl.slice(0, request.originalUrl.indexOf('/mpu/create/'));
    const origin = `${request.protocol}://${request.get('host') ?? ''}`;
    return {
      upload_id: id,
      credentials: Array.from({ length: parts }, (_, index) => ({
        part_number: index + 1,
        url: `${origin}${prefix}/${PART_ROUTE}/${id}/${index + 1}`,
        headers: {},
      })),
    };
  }

  @Put(`${PART_ROUTE}/:uploadId/:part`)
  async part(@Req() request: Request, @Param('uploadId') id: string, @Param('part') part: string) {
    const number = /^\d{1,5}$/.test(part) ? Number(part) : NaN;
    const etag = await this.uploads.writePart(id, number, request);
    request.res?.setHeader('ETag', etag);
    return {};
  }

  @Post('mpu/complete/*path')
  @HttpCode(200)
  async complete(@Req() request: Request, @Body() body: unknown) {
    const id = uploadIdOf(body);
    const target = await this.sameTarget(request, 'mpu/complete', id, body);
    const listed = (body as { parts?: unknown }).parts;
    if (!Array.isArray(listed)) throw invalid("Missing value for required parameter 'parts'");
    const parts = listed.map((entry: unknown, index) => {
      const { part_number, etag } = (entry ?? {}) as { part_number?: unknown; etag?: unknown };
      const number = typeof part_number === 'string' ? Number(part_number) : part_number;
      if (typeof number !== 'number' || typeof etag !== 'string') {
        throw invalid(`Invalid value for parts[${index}]: it needs part_number and etag`);
      }
      return { part: number, etag };
    });
    const { body: content, length } = this.uploads.assemble(id, parts);
    try {
      await this.native.upload(request, target.runId, target.rawPath, content, {
        'content-length': String(length),
        'content-type': 'application/octet-stream',
      });
    } catch (error) {
      // Refused or cut: the parts stay, and the client may complete again (or abort).
      content.destroy();
      this.uploads.unseal(id);
      throw error;
    }
    await this.uploads.finish(id);
    return {};
  }

  @Post('mpu/abort/*path')
  @HttpCode(200)
  async abort(@Req() request: Request, @Body() body: unknown) {
    const id = uploadIdOf(body);
    await this.sameTarget(request, 'mpu/abort', id, body);
    await this.uploads.finish(id);
    return {};
  }

  /**
   * The file an upload writes: MLflow's client names the folder in the URL and its local file in `path`, whose
   * base name the file takes (as MLflow's own S3 repository does).
   */
  private targetOf(request: Request, route: string, body: unknown): ProxiedPath {
    const folder = parseProxiedPath(rawAfter(request.originalUrl, `/${route}/`).replace(/\/+$/, ''), false);
    const local = (body as { path?: unknown } | undefined)?.path;
    if (typeof local !== 'string' || local === '')
      throw invalid("Missing value for required parameter 'path'");
    const name = local.split(/[\\/]/).pop() ?? '';
    if (name === '' || name === '.' || name === '..') {
      throw invalid(
        `Invalid value ${JSON.stringify(local.slice(0, 200))} for parameter 'path': it names no file`,
      );
    }
    const file = encodeURIComponent(name);
    return { ...folder, rawPath: folder.rawPath === '' ? file : `${folder.rawPath}/${file}` };
  }

  /** Completion and abort name the path the upload was made for (a run the caller sees): another is refused. */
  private async sameTarget(request: Request, route: string, id: string, body: unknown) {
    const target = this.targetOf(request, route, body);
    await this.native.ownRun(request, target.experimentId, target.runId);
    const made = this.uploads.targetOf(id);
    if (
      made.runId !== target.runId ||
      made.rawPath !== target.rawPath ||
      made.experimentId !== target.experimentId
    ) {
      throw invalid(`Multipart upload ${id} is for another path`);
    }
    return made;
  }
}
