import { readScopeOfRequest } from '../../../../libs/access/src';
import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportPosition } from '../../../../libs/store/src';
import { encodeExportCursor } from './export-cursor';
import { ExportErrorFilter } from './export-errors';
import { negotiateExportFormat, type ExportFormat } from './export-formats';
import {
  ExportBodyTooLargeError,
  exportQueryOf,
  MAX_EXPORT_BODY_BYTES,
  parseExportBody,
  parseExportRequest,
  type ExportRequest,
} from './export-request';
import { MetricExportService } from './metric-export.service';

export const NEXT_CURSOR_HEADER = 'runlog-next-cursor';
const EXPORT_PATH = '/api/v1/metrics/export';
/** What the answer buffers ahead of a slow client: about one chunk from the store. */
const SEND_BUFFER_BYTES = 64 * 1024;
/**
 * The longest `Link` header sent: it repeats the whole request, and a long one (hundreds of run ids) would pass
 * what clients take in response headers (16 KiB in Node's fetch). Runlog-Next-Cursor is always sent.
 */
export const MAX_LINK_HEADER_LENGTH = 2048;

/**
 * `GET /api/v1/metrics/export` (query parameters) and `POST /api/v1/metrics/export` (a JSON body, for more runs
 * than a URL holds): every raw point of the runs (and keys) asked, a page at a time, as CSV, Arrow IPC or Parquet
 * by Accept. The next page's cursor is in `Runlog-Next-Cursor` (and `Link: <…>; rel="next"` when that is short);
 * an answer without it ends the export. The page goes from ClickHouse to the client as it is read, at the client's
 * pace; at most RUNLOG_EXPORT_MAX_CONCURRENT exports stream at once, one more is answered 503 with Retry-After.
 */
@Controller('api/v1/metrics')
@UseFilters(ExportErrorFilter)
export class MetricExportController {
  constructor(private readonly exports: MetricExportService) {}

  @Get('export')
  async exportByQuery(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.exportPoints(parseExportRequest(exportQueryOf(request.originalUrl)), request, response);
  }

  @Post('export')
  async exportByBody(@Req() request: Request, @Res() response: Response): Promise<void> {
    const declared = Number(request.headers['content-length'] ?? 0);
    const read = Buffer.byteLength(JSON.stringify(request.body ?? null));
    if (declared > MAX_EXPORT_BODY_BYTES || read > MAX_EXPORT_BODY_BYTES)
      throw new ExportBodyTooLargeError(
        `an export request is at most ${MAX_EXPORT_BODY_BYTES} bytes`,
        'body',
      );
    await this.exportPoints(parseExportBody(request.body), request, response);
  }

  private async exportPoints(asked: ExportRequest, request: Request, response: Response): Promise<void> {
    const format = negotiateExportFormat(request.headers.accept);
    await this.exports.withSlot(() => this.send(asked, format, request, response));
  }

  private async send(
    asked: ExportRequest,
    format: ExportFormat,
    request: Request,
    response: Response,
  ): Promise<void> {
    const gone = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) gone.abort();
    });
    const page = await this.exports.openPage(asked, format.format, gone.signal, readScopeOfRequest(request));
    const chunks = page.body[Symbol.asyncIterator]();
    // Pulled before the status is sent: a read the store refuses is then a 500, not a 200 cut short.
    let first: IteratorResult<Uint8Array>;
    try {
      first = await chunks.next();
    } catch (error) {
      // The client hung up while the store started: nobody is left to answer, and it is not the server's fault.
      if (gone.signal.aborted) return;
      throw error;
    }
    response.status(200).set({
      'content-type': format.contentType,
      'cache-control': 'no-store',
      vary: 'Accept',
      ...(page.next ? nextPageHeaders(asked, page.next) : {}),
    });
    try {
      await pipeline(
        Readable.from(resume(first, chunks), { objectMode: false, highWaterMark: SEND_BUFFER_BYTES }),
        response,
      );
    } catch (error) {
      if (!gone.signal.aborted) throw error;
    } finally {
      // Also when the answer failed before its first pull: the store's read is ended and its session freed.
      await chunks.return?.();
    }
  }
}

async function* resume(
  first: IteratorResult<Uint8Array>,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  yield first.value;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

function nextPageHeaders(asked: ExportRequest, next: ExportPosition): Record<string, string> {
  const cursor = encodeExportCursor(next);
  const query = new URLSearchParams();
  for (const runId of asked.scope.runIds) query.append('runId', runId);
  for (const key of asked.scope.keys ?? []) query.append('key', key);
  if (asked.scope.fromStep !== undefined) query.set('fromStep', String(asked.scope.fromStep));
  if (asked.scope.toStep !== undefined) query.set('toStep', String(asked.scope.toStep));
  query.set('limit', String(asked.limit));
  query.set('cursor', cursor);
  const link = `<${EXPORT_PATH}?${query.toString()}>; rel="next"`;
  return { [NEXT_CURSOR_HEADER]: cursor, ...(link.length <= MAX_LINK_HEADER_LENGTH ? { link } : {}) };
}
