import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ARTIFACT_MAX_BYTES,
  ARTIFACT_STORE,
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  type ArtifactStore,
} from '../../../../libs/artifacts/src/artifact-store';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { ConsistencyTokenInterceptor } from '../consistency/consistency-token.interceptor';
import { HttpErrorFilter } from '../http-errors';
import { CallerHeaders, runIdParam } from '../ingest.controller';
import { IngestRouter } from '../ingest-router';
import type { Caller } from '../commands/command-handler';
import { RunArtifactsService } from '../runs/run-artifacts.service';
import { RequestValidator } from '../request-validator';
import { parseArtifactPath } from './artifact-path';

const OCTET_STREAM = 'application/octet-stream';

/** The part of the URL after `/artifacts/`, exactly as the client sent it (before any decoding). */
export function rawArtifactPath(originalUrl: string): string {
  const pathOnly = originalUrl.split('?')[0];
  const marker = '/artifacts/';
  return pathOnly.slice(pathOnly.indexOf(marker) + marker.length);
}

/**
 * Artifacts of a run over HTTP: the bytes go to the content-addressed store (streamed, never held whole), then
 * `run.artifact_logged` (path, size, digest, content type) is appended by the run's owner. Downloads and listings
 * read the run's stream, so they need no routing.
 */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
@UseInterceptors(ConsistencyTokenInterceptor)
export class ArtifactsController {
  private readonly validator = new RequestValidator();

  constructor(
    private readonly artifacts: RunArtifactsService,
    private readonly router: IngestRouter,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(ARTIFACT_MAX_BYTES) private readonly maxBytes: number,
  ) {}

  /** Upload: the body is the file. Its Content-Type is recorded (octet-stream when absent). */
  @Put('runs/:runId/artifacts/*path')
  @HttpCode(201)
  async upload(@Param('runId') runId: string, @Req() request: Request, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    const path = parseArtifactPath(rawArtifactPath(request.originalUrl));
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBytes) throw new ArtifactTooLargeError(this.maxBytes);
    await this.artifacts.precheckArtifact(caller, id, path);
    // The store reads a pipe, not the request: when it gives up (too large), it destroys its source, and the request
    // must survive that so the error answer can drain it and reach the client (see HttpErrorFilter).
    const body = new PassThrough();
    request.pipe(body);
    // pipe() passes on neither errors nor an abort: without this, a client that hangs up leaves the store waiting.
    request.once('error', (error) => body.destroy(error));
    request.once('close', () => {
      if (!request.complete) body.destroy(new Error('the client aborted the upload'));
    });
    let stored;
    try {
      stored = await this.store.put(body, { maxBytes: this.maxBytes });
    } catch (error) {
      request.unpipe(body);
      throw error;
    }
    const contentType = request.headers['content-type'] || OCTET_STREAM;
    const ref = { size: stored.size, digest: stored.digest, contentType };
    const ack = await this.router.route(
      id,
      request,
      { path, ...ref },
      () => this.artifacts.logArtifact(caller, id, path, ref),
      `/api/v1/runs/${id}/artifact-records`,
    );
    return { path, ...ref, deduplicated: stored.deduplicated, ...ack };
  }

  /** An artifact of the run shown as a media item: an image, a histogram or a table of a key at a step. */
  @Post('runs/:runId/media')
  @HttpCode(200)
  async logMedia(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const media = this.validator.validate('LogMedia', body);
    const path = parseArtifactPath(encodeURI(media.path));
    return this.router.route(id, request, { ...media, path }, () =>
      this.artifacts.logMedia(caller, id, { ...media, path }),
    );
  }

  /** Records content already in the store; what an upload forwards to the run's owner. */
  @Post('runs/:runId/artifact-records')
  @HttpCode(201)
  async register(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const { path: given, ...ref } = this.validator.validate('RegisterArtifact', body);
    const path = parseArtifactPath(encodeURI(given));
    return this.router.route(id, request, { path, ...ref }, async () => {
      // The record must say what is stored: the size is the store's, not the client's word.
      const stored = await this.store.sizeOf(ref.digest);
      if (stored === null)
        throw new ValidationError(`no content with digest ${ref.digest} is stored`, 'digest');
      if (stored !== ref.size) {
        throw new ValidationError(
          `"size" is ${ref.size} but ${stored} bytes are stored under this digest`,
          'size',
        );
      }
      return this.artifacts.logArtifact(caller, id, path, ref);
    });
  }

  @Get('runs/:runId/artifacts')
  list(@Param('runId') runId: string, @CallerHeaders() caller: Caller, @Query('prefix') prefix?: string) {
    return this.artifacts.listArtifacts(caller, runIdParam(runId), typeof prefix === 'string' ? prefix : '');
  }

  @Get('runs/:runId/artifacts/*path')
  async download(
    @Param('runId') runId: string,
    @Req() request: Request,
    @Res() response: Response,
    @CallerHeaders() caller: Caller,
  ) {
    const id = runIdParam(runId);
    const path = parseArtifactPath(rawArtifactPath(request.originalUrl));
    const ref = await this.artifacts.findArtifact(caller, id, path);
    let content;
    try {
      content = await this.store.get(ref.digest);
    } catch (error) {
      // Recorded in the log but absent from the store: the store lost it, which is the server's fault.
      if (error instanceof ArtifactNotFoundError)
        throw new Error(`artifact ${ref.digest} is recorded but not stored`);
      throw error;
    }
    // Served as a download, never rendered: the content type is the uploader's word, and an HTML artifact opened
    // inline would run in this origin.
    response.status(200).set({
      'content-type': ref.contentType,
      'x-content-type-options': 'nosniff',
      'content-disposition': contentDisposition(path),
      'content-length': String(ref.size),
      etag: `"sha256:${ref.digest}"`,
      'x-runlog-artifact-digest': ref.digest,
    });
    await pipeline(content, response);
  }
}

/** `attachment` with the file's name, ASCII-safe and in RFC 5987 form for any other characters. */
export function contentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
