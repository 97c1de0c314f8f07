import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { EVENT_LOG, type EventLog } from '../../../libs/log/src/event-log';
import { CLICKHOUSE, type ClickHouse } from '../../../libs/store/src/clickhouse';
import { INGEST_ROUTING, type IngestRouting } from '../../ingest/src/ingest-router';
import { PROJECTOR_CONFIG, type ProjectorConfig } from '../../projector/src/projector.service';

export interface Infrastructure {
  log: EventLog;
  /** Absent in an ingest-only process: it never touches ClickHouse. */
  clickhouse: ClickHouse | null;
  projector: ProjectorConfig;
  ingestRouting: IngestRouting;
}

/** Binds the ports to the adapters this process opened; feature modules inject the ports only. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const providers: Provider[] = [
      { provide: EVENT_LOG, useValue: infra.log },
      { provide: PROJECTOR_CONFIG, useValue: infra.projector },
      { provide: INGEST_ROUTING, useValue: infra.ingestRouting },
    ];
    if (infra.clickhouse) providers.push({ provide: CLICKHOUSE, useValue: infra.clickhouse });
    return {
      module: InfrastructureModule,
      providers,
      exports: providers.map((provider) => (provider as { provide: symbol }).provide),
    };
  }
}
