import { INGEST_ENDPOINT, type IngestEndpoint } from '../../../libs/ingest-client/src';
import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ACCESS, type AccessServices } from '../../../libs/access/src';
import { AUDIT_CHECKPOINTS, type CheckpointConfig } from '../../../libs/audit/src';
import {
  ARTIFACT_MAX_BYTES,
  ARTIFACT_STORE,
  type ArtifactStore,
} from '../../../libs/artifacts/src/artifact-store';
import { EVENT_LOG, type EventLog } from '../../../libs/log/src/event-log';
import { CLICKHOUSE, PROJECTION_GROUP_ID, type ClickHouse } from '../../../libs/store/src';
import { GRAPHQL_LIMITS, type GraphqlLimitsConfig } from '../../gateway/src/limits/graphql-limits';
import type { IngestAdmission } from '../../ingest/src/admission/ingest-admission';
import { INGEST_ROUTING, type IngestRouting } from '../../ingest/src/ingest-router';
import { LIVENESS_CONFIG, type LivenessConfig } from '../../ingest/src/liveness';
import { PROJECTOR_CONFIG, type ProjectorConfig } from '../../projector/src/projector.service';

export interface Infrastructure {
  log: EventLog;
  /** Absent in an ingest-only process: it never touches ClickHouse. */
  clickhouse: ClickHouse | null;
  projector: ProjectorConfig;
  ingestRouting: IngestRouting;
  liveness: LivenessConfig;
  /** Where artifact content goes, and a description of it for /healthz. */
  artifacts: { store: ArtifactStore; location: string; maxBytes: number };
  graphqlLimits: GraphqlLimitsConfig;
  /** The metric path's load shedding, in a process that ingests (reported by /healthz and /metrics). */
  admission: IngestAdmission | null;
  access: AccessServices;
  /** The key that signs audit checkpoints (null: off), for the projector to sign and the gateway to check. */
  auditCheckpoints: CheckpointConfig;
  /** Where the gateway's mutations go (set once this process listens, when it runs the ingest role itself). */
  ingestEndpoint: IngestEndpoint;
}

export const ARTIFACT_LOCATION = Symbol('ARTIFACT_LOCATION');
export const INGEST_ADMISSION = Symbol('INGEST_ADMISSION');

/** Binds the ports to the adapters this process opened; feature modules inject the ports only. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const providers: Provider[] = [
      { provide: EVENT_LOG, useValue: infra.log },
      { provide: PROJECTOR_CONFIG, useValue: infra.projector },
      { provide: PROJECTION_GROUP_ID, useValue: infra.projector.groupId },
      { provide: INGEST_ROUTING, useValue: infra.ingestRouting },
      { provide: LIVENESS_CONFIG, useValue: infra.liveness },
      { provide: ARTIFACT_STORE, useValue: infra.artifacts.store },
      { provide: ARTIFACT_LOCATION, useValue: infra.artifacts.location },
      { provide: ARTIFACT_MAX_BYTES, useValue: infra.artifacts.maxBytes },
      { provide: GRAPHQL_LIMITS, useValue: infra.graphqlLimits },
      { provide: INGEST_ADMISSION, useValue: infra.admission },
      { provide: ACCESS, useValue: infra.access },
      { provide: AUDIT_CHECKPOINTS, useValue: infra.auditCheckpoints },
      { provide: INGEST_ENDPOINT, useValue: infra.ingestEndpoint },
    ];
    if (infra.clickhouse) providers.push({ provide: CLICKHOUSE, useValue: infra.clickhouse });
    return {
      module: InfrastructureModule,
      providers,
      exports: providers.map((provider) => (provider as { provide: symbol }).provide),
    };
  }
}
