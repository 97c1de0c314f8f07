import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { CLICKHOUSE, type ClickHouse } from '../../../libs/store/src/clickhouse';
import { ProjectorService } from '../../projector/src/projector.service';

/** A batch running longer than this is reported: at the measured ~120k points/s, no sane batch takes it. */
const STALLED_BATCH_MS = 120_000;

@Controller()
export class HealthController {
  constructor(
    @Optional() @Inject(CLICKHOUSE) private readonly ch?: ClickHouse,
    @Optional() private readonly projector?: ProjectorService,
  ) {}

  @Get('healthz')
  async health() {
    const clickhouse = this.ch ? (await this.ch.client.ping()).success : null;
    const batchInFlightMs = this.projector?.inFlightMs() ?? 0;
    const degraded = clickhouse === false || batchInFlightMs > STALLED_BATCH_MS;
    return {
      status: degraded ? 'degraded' : 'ok',
      clickhouse,
      projector: this.projector ? { ...this.projector.stats, batchInFlightMs } : null,
    };
  }
}
