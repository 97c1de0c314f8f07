import { Module } from '@nestjs/common';
import { ArtifactsController } from './artifacts/artifacts.controller';
import { TokensController } from './access/tokens.controller';
import { TokensService } from './access/tokens.service';
import { IngestController } from './ingest.controller';
import { IngestRouter } from './ingest-router';
import { CLOCK, CommandHandler } from './commands/command-handler';
import { RunWriteGate } from './commands/run-write-gate';
import { ExperimentsController } from './experiments/experiments.controller';
import { ExperimentsService } from './experiments/experiments.service';
import { MetricsService } from './metrics/metrics.service';
import { RunArtifactsService } from './runs/run-artifacts.service';
import { RunLifecycleService } from './runs/run-lifecycle.service';
import { LivenessTracker } from './liveness';
import { ModelVersionsController } from './registry/model-versions.controller';
import { RegistryController } from './registry/registry.controller';
import { RegistryRequests } from './registry/registry-requests';
import { RegistryService } from './registry/registry.service';

/**
 * The ingest feature: its controllers, the command handler and one service per aggregate, the router and the
 * liveness tracker. EVENT_LOG, INGEST_ROUTING and
 * LIVENESS_CONFIG come from the process's infrastructure module.
 */
@Module({
  controllers: [
    IngestController,
    ExperimentsController,
    ArtifactsController,
    TokensController,
    RegistryController,
    ModelVersionsController,
  ],
  providers: [
    CommandHandler,
    RunWriteGate,
    ExperimentsService,
    RunLifecycleService,
    RunArtifactsService,
    MetricsService,
    TokensService,
    RegistryService,
    RegistryRequests,
    IngestRouter,
    LivenessTracker,
    { provide: CLOCK, useValue: () => new Date() },
  ],
})
export class IngestModule {}
