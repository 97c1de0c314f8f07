import { Module } from '@nestjs/common';
import { ProjectorService } from './projector.service';

/** The projector feature: one log subscription feeding ClickHouse. EVENT_LOG and CLICKHOUSE come from infrastructure. */
@Module({ providers: [ProjectorService], exports: [ProjectorService] })
export class ProjectorModule {}
