import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportPosition } from '../../../../libs/store/src';
import { encodeExportCursor } from './export-cursor';
import { ExportErrorFilter } from './export-errors';
import { negotiateExportFormat } from './export-formats';
import { exportQueryOf, parseExportRequest, type ExportRequest } from './export-request';
import { MetricExportService } from './metric-export.service';

export const NEXT_CURSOR_HEADER = 'runlog-next-cursor';
const EXPORT_PATH = '/api/v1/metrics/export';
/** What the answer buffers ahead of a slow client: about one chunk from the store. */
const SEND_BUFFER_BYTES = 64 * 1024;

/**
 * `GET /api/v1/metrics/export`: every raw point of the runs (and keys) asked, a page at a time, as CSV, Arrow IPC
 * or Parquet by Accept. The next page's cursor is in `Runlog-Next-Cursor` and `Link: <…>; rel="next"`; an answer
 * without them ends the export. The page goes from ClickHouse to the client as it is read, at the client's pace.
 */
@Controller('api/v1/metrics')
@UseFilters(ExportErrorFilter)
export class MetricExportController {
  constructor(private readonly exports: MetricExportService) {}

  @Get('export')
  async exportPoints(@Req() request: Request, @Res() response: Response): Promise<void> {
    const asked = parseExportRequest(exportQueryOf(request.originalUrl));
    const format = negotiateExportFormat(request.headers.accept);
    const gone = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) gone.abort();
    });
    const page = await this.exports.openPage(asked, format.format, gone.signal);
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
  return { [NEXT_CURSOR_HEADER]: cursor, link: `<${EXPORT_PATH}?${query.toString()}>; rel="next"` };
}
