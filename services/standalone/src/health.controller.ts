import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ARTIFACT_STORE, type ArtifactStore } from '../../../libs/artifacts/src/artifact-store';
import { CLICKHOUSE, type ClickHouse } from '../../../libs/store/src/clickhouse';
import { ARTIFACT_LOCATION } from './infrastructure.module';
import { ProjectorService } from '../../projector/src/projector.service';

/** sha256 of no bytes: asking whether it is stored proves the artifact store answers, whatever the answer. */
const EMPTY_DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A batch running longer than this is reported: at the measured ~120k points/s, no sane batch takes it. */
const STALLED_BATCH_MS = 120_000;

@Controller()
export class HealthController {
  constructor(
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(ARTIFACT_LOCATION) private readonly artifactLocation: string,
    @Optional() @Inject(CLICKHOUSE) private readonly ch?: ClickHouse,
    @Optional() private readonly projector?: ProjectorService,
  ) {}

  @Get('healthz')
  async health() {
    const clickhouse = this.ch ? (await this.ch.client.ping()).success : null;
    const batchInFlightMs = this.projector?.inFlightMs() ?? 0;
    const artifactsReachable = await this.artifacts.exists(EMPTY_DIGEST).then(
      () => true,
      () => false,
    );
    const degraded = clickhouse === false || !artifactsReachable || batchInFlightMs > STALLED_BATCH_MS;
    return {
      status: degraded ? 'degraded' : 'ok',
      clickhouse,
      artifacts: { location: this.artifactLocation, reachable: artifactsReachable },
      projector: this.projector ? { ...this.projector.stats, batchInFlightMs } : null,
    };
  }
}
