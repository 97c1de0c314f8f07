import { Module } from '@nestjs/common';
import { ArtifactsController } from './artifacts/artifacts.controller';
import { IngestController } from './ingest.controller';
import { IngestRouter } from './ingest-router';
import { CLOCK, IngestService } from './ingest.service';
import { LivenessTracker } from './liveness';

/**
 * The ingest feature: its controllers, service, router and liveness tracker. EVENT_LOG, INGEST_ROUTING and
 * LIVENESS_CONFIG come from the process's infrastructure module.
 */
@Module({
  controllers: [IngestController, ArtifactsController],
  providers: [IngestService, IngestRouter, LivenessTracker, { provide: CLOCK, useValue: () => new Date() }],
})
export class IngestModule {}
