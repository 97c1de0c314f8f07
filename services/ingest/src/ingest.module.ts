import { Module } from '@nestjs/common';
import { IngestController } from './ingest.controller';
import { CLOCK, IngestService } from './ingest.service';

/** The ingest feature: its controller and service. EVENT_LOG comes from the process's infrastructure module. */
@Module({
  controllers: [IngestController],
  providers: [IngestService, { provide: CLOCK, useValue: () => new Date() }],
})
export class IngestModule {}
