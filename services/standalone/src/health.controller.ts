import { Controller, Get, Header, Inject, Optional } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { ARTIFACT_STORE, type ArtifactStore } from '../../../libs/artifacts/src/artifact-store';
import { EVENT_LOG, type EventLog } from '../../../libs/log/src/event-log';
import { CLICKHOUSE, countOpenDeadLetters, readerFor, type ClickHouse } from '../../../libs/store/src';
import type { IngestAdmission } from '../../ingest/src/admission/ingest-admission';
import { ARTIFACT_LOCATION, INGEST_ADMISSION } from './infrastructure.module';
import { DEFAULT_STALL_MS, ProjectionHealth } from '../../projector/src/health/projection-health';
import {
  PROJECTOR_CONFIG,
  ProjectorService,
  type ProjectorConfig,
} from '../../projector/src/projector.service';

/** sha256 of no bytes: asking whether it is stored proves the artifact store answers, whatever the answer. */
const EMPTY_DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A batch running longer than this is reported: at the measured ~120k points/s, no sane batch takes it. */
const STALLED_BATCH_MS = 120_000;

@Controller()
export class HealthController {
  private readonly projection: ProjectionHealth;
  private readonly registry = new Registry();

  constructor(
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(ARTIFACT_LOCATION) private readonly artifactLocation: string,
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(PROJECTOR_CONFIG) projectorConfig: ProjectorConfig,
    @Inject(INGEST_ADMISSION) private readonly admission: IngestAdmission | null,
    @Optional() @Inject(CLICKHOUSE) private readonly ch?: ClickHouse,
    @Optional() private readonly projector?: ProjectorService,
  ) {
    this.projection = new ProjectionHealth({
      log,
      groupId: projectorConfig.groupId,
      reader: ch && readerFor(ch),
      stallMs: projectorConfig.stallMs ?? DEFAULT_STALL_MS,
    });
    this.registerMetrics();
  }

  @Get('healthz')
  async health() {
    const clickhouse = this.ch ? (await this.ch.client.ping()).success : null;
    const batchInFlightMs = this.projector?.inFlightMs() ?? 0;
    const artifactsReachable = await this.artifacts.exists(EMPTY_DIGEST).then(
      () => true,
      () => false,
    );
    const projection = clickhouse === false ? null : await this.projection.report();
    const degraded =
      clickhouse === false ||
      !artifactsReachable ||
      batchInFlightMs > STALLED_BATCH_MS ||
      projection?.degraded === true;
    return {
      status: degraded ? 'degraded' : 'ok',
      clickhouse,
      artifacts: { location: this.artifactLocation, reachable: artifactsReachable },
      projector: this.projector ? { ...this.projector.stats, batchInFlightMs } : null,
      ingest: this.admission ? this.admission.stats() : null,
      projection,
    };
  }

  /** Prometheus text format: dead letters and projection lag, read when scraped. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private registerMetrics(): void {
    const reader = this.ch && readerFor(this.ch);
    if (reader) {
      new Gauge({
        name: 'runlog_projector_dead_letters',
        help: 'Records the projector dead-lettered and that are not re-projected yet, per topic',
        labelNames: ['topic', 'state'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const [topic, open] of await countOpenDeadLetters(reader))
            this.set({ topic, state: 'open' }, open);
        },
      });
    }
    const admission = this.admission;
    if (admission) {
      new Counter({
        name: 'runlog_ingest_shed_batches_total',
        help: 'Metric batches answered 503 before their body was read, by reason (busy: too many at once; behind: projection lag)',
        labelNames: ['reason'],
        registers: [this.registry],
        collect() {
          const { refusedBusy, refusedBehind } = admission.stats();
          this.reset();
          this.inc({ reason: 'busy' }, refusedBusy);
          this.inc({ reason: 'behind' }, refusedBehind);
        },
      });
    }
    const projection = this.projection;
    new Gauge({
      name: 'runlog_projection_lag_records',
      help: "Offsets between the log's end and the projector group's committed position, per topic and partition",
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const entry of (await projection.report()).lag) {
          this.set({ topic: entry.topic, partition: String(entry.partition) }, entry.lag);
        }
      },
    });
  }
}
