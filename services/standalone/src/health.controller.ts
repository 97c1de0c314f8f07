import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { CLICKHOUSE, type ClickHouse } from '../../../libs/store/src/clickhouse';
import { ProjectorService } from '../../projector/src/projector.service';

@Controller()
export class HealthController {
  constructor(
    @Optional() @Inject(CLICKHOUSE) private readonly ch?: ClickHouse,
    @Optional() private readonly projector?: ProjectorService,
  ) {}

  @Get('healthz')
  async health() {
    const clickhouse = this.ch ? (await this.ch.client.ping()).success : null;
    return {
      status: clickhouse === false ? 'degraded' : 'ok',
      clickhouse,
      projector: this.projector?.stats ?? null,
    };
  }
}
