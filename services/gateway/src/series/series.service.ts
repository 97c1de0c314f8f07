import { Inject, Injectable } from '@nestjs/common';
import { ValidationError } from '../../../../libs/domain/src/errors';
import {
  CLICKHOUSE,
  getSeriesOverlay,
  readerFor,
  TooManyWorkersError,
  visibleRunIds,
  type ClickHouse,
  type ClickhouseReader,
  type ReadScope,
  type SeriesOverlayQuery,
} from '../../../../libs/store/src';
import type { DownsampleMethod, SeriesOverlay, SeriesXAxis, WorkerView } from './series.models';

@Injectable()
export class SeriesService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async overlay(query: SeriesOverlayQuery, scope: ReadScope): Promise<SeriesOverlay> {
    try {
      // Another workspace's runs are read as ids that name nothing: no points, no rows read.
      const readable = scope === 'all' ? undefined : await visibleRunIds(this.reader, query.runIds, scope);
      const overlay = await getSeriesOverlay(this.reader, query, readable);
      const { axis, method, workers = 'all' } = query;
      return {
        ...overlay,
        xAxis: axis as SeriesXAxis,
        method: method as DownsampleMethod,
        workers: workers as WorkerView,
      };
    } catch (error) {
      // Known only once the bounds are read: the overlay was costed at the most workers EACH draws.
      if (error instanceof TooManyWorkersError) throw new ValidationError(error.message, 'workers');
      throw error;
    }
  }
}
