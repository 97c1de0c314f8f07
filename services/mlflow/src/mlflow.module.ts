import { Module } from '@nestjs/common';
import { ArtifactProxyController } from './artifacts/artifact-proxy.controller';
import { ArtifactReadsEndpoints } from './artifacts/artifact-reads.endpoints';
import { MultipartUploadController } from './artifacts/multipart-upload.controller';
import { MultipartUploads } from './artifacts/multipart-uploads';
import { NativeArtifacts } from './artifacts/native-artifacts';
import { UiArtifactsController } from './artifacts/ui-artifacts.controller';
import { ExperimentsEndpoints } from './experiments/experiments.endpoints';
import { LoggedModelsEndpoints } from './models/logged-models.endpoints';
import { MetricHistoryEndpoints } from './metrics/metric-history.endpoints';
import { MlflowApiController, MLFLOW_ENDPOINTS } from './protocol/mlflow-api.controller';
import { MlflowBackend } from './protocol/mlflow-backend';
import { ModelVersionsEndpoints } from './registry/model-versions.endpoints';
import { RegistryCommands } from './registry/registry-commands';
import { RegistryEndpoints } from './registry/registry.endpoints';
import { RegistryReads } from './registry/registry-reads';
import { RunReads } from './runs/run-reads';
import { RunReadsEndpoints } from './runs/run-reads.endpoints';
import { RunWritesEndpoints } from './runs/run-writes.endpoints';

/** Where MLflow's routes live: a body there must be JSON (or an artifact upload), never a cross-site text/plain. */
export const MLFLOW_PREFIXES = [
  '/api/2.0/mlflow',
  '/ajax-api/2.0/mlflow',
  '/api/2.0/mlflow-artifacts',
  '/ajax-api/2.0/mlflow-artifacts',
  '/api/3.0/mlflow',
];

/**
 * MLflow's REST dialect: the unchanged `mlflow` client logs to Runlog and reads back. A mapper only: writes become
 * native ingest commands (so they land in the same log, checked and audited like any other), reads come from the
 * same ClickHouse projections the gateway reads. Mounted in a process with the gateway role (it reads ClickHouse).
 */
@Module({
  controllers: [
    MlflowApiController,
    ArtifactProxyController,
    MultipartUploadController,
    UiArtifactsController,
  ],
  providers: [
    MlflowBackend,
    RunReads,
    NativeArtifacts,
    MultipartUploads,
    ExperimentsEndpoints,
    RunWritesEndpoints,
    RunReadsEndpoints,
    MetricHistoryEndpoints,
    LoggedModelsEndpoints,
    RegistryReads,
    RegistryCommands,
    RegistryEndpoints,
    ModelVersionsEndpoints,
    ArtifactReadsEndpoints,
    {
      provide: MLFLOW_ENDPOINTS,
      inject: [
        ExperimentsEndpoints,
        RunWritesEndpoints,
        RunReadsEndpoints,
        MetricHistoryEndpoints,
        LoggedModelsEndpoints,
        RegistryEndpoints,
        ModelVersionsEndpoints,
        ArtifactReadsEndpoints,
      ],
      useFactory: (...areas: unknown[]) => areas,
    },
  ],
})
export class MlflowModule {}
