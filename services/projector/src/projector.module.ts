import { Module } from '@nestjs/common';
import { CheckpointerService } from './audit/checkpointer.service';
import { ReprojectionController } from './dead-letters/reprojection.controller';
import { ReprojectionService } from './dead-letters/reprojection.service';
import { ProjectorService } from './projector.service';
import { RawRetentionService } from './retention/raw-retention.service';
import { ReplayController } from './replay/replay.controller';
import { ReplayService } from './replay/replay.service';

/**
 * The projector feature: one log subscription feeding ClickHouse, and the admin route that re-projects dead
 * letters, the raw-point retention applied to what is stored, and the signed audit checkpoints. EVENT_LOG and CLICKHOUSE come from infrastructure.
 */
@Module({
  controllers: [ReprojectionController, ReplayController],
  providers: [ProjectorService, ReprojectionService, RawRetentionService, CheckpointerService, ReplayService],
  exports: [ProjectorService],
})
export class ProjectorModule {}
