import { Inject, Injectable } from '@nestjs/common';
import {
  CLICKHOUSE,
  getSeriesOverlay,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type SeriesOverlayQuery,
} from '../../../../libs/store/src';
import type { DownsampleMethod, SeriesOverlay, SeriesXAxis } from './series.models';

@Injectable()
export class SeriesService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async overlay(query: SeriesOverlayQuery): Promise<SeriesOverlay> {
    const overlay = await getSeriesOverlay(this.reader, query);
    return { ...overlay, xAxis: query.axis as SeriesXAxis, method: query.method as DownsampleMethod };
  }
}
