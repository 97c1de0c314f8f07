import { Inject, Injectable } from '@nestjs/common';
import {
  CLICKHOUSE,
  planMetricExportPage,
  readerFor,
  streamMetricExportPage,
  streamReaderFor,
  visibleRunIds,
  type ClickHouse,
  type ClickhouseReader,
  type ClickhouseStreamReader,
  type ExportPosition,
  type ReadScope,
  type StreamFormat,
} from '../../../../libs/store/src';
import { ExportSlots, exportMaxConcurrentOf } from './export-admission';
import type { ExportRequest } from './export-request';

/** A page ready to send: where the next one starts (null: this is the last), and its points as they are read. */
export interface ExportPageStream {
  next: ExportPosition | null;
  body: AsyncIterable<Uint8Array>;
}

/** Raw metric points, a page at a time: the page is planned (its end found), then streamed from ClickHouse. */
@Injectable()
export class MetricExportService {
  private readonly reader: ClickhouseReader;
  private readonly streams: ClickhouseStreamReader;
  private readonly slots = new ExportSlots(exportMaxConcurrentOf(process.env));

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
    this.streams = streamReaderFor(ch);
  }

  /** Runs an export in one of the process's slots (ExportBusyError, a 503, when none is free), freed as it ends. */
  async withSlot(exportPage: () => Promise<void>): Promise<void> {
    const release = this.slots.take();
    try {
      await exportPage();
    } finally {
      release();
    }
  }

  async openPage(
    request: ExportRequest,
    format: StreamFormat,
    signal: AbortSignal,
    readScope: ReadScope,
  ): Promise<ExportPageStream> {
    // Another workspace's runs export as ids that name nothing: no points.
    const visible = await visibleRunIds(this.reader, request.scope.runIds, readScope);
    const scope = { ...request.scope, runIds: request.scope.runIds.filter((runId) => visible.has(runId)) };
    const page = await planMetricExportPage(this.reader, scope, request.from, request.limit);
    return { next: page.before, body: streamMetricExportPage(this.streams, page, format, signal) };
  }
}
