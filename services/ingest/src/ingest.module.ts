import { Module } from '@nestjs/common';
import { ArtifactsController } from './artifacts/artifacts.controller';
import { IngestController } from './ingest.controller';
import { IngestRouter } from './ingest-router';
import { CLOCK, IngestService } from './ingest.service';

/**
 * The ingest feature: its controller, service and router. EVENT_LOG and INGEST_ROUTING come from the process's
 * infrastructure module.
 */
@Module({
  controllers: [IngestController, ArtifactsController],
  providers: [IngestService, IngestRouter, { provide: CLOCK, useValue: () => new Date() }],
})
export class IngestModule {}
