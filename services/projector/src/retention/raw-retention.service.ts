import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  CLICKHOUSE,
  getRawRetentionFingerprint,
  materializeRawRetention,
  readerFor,
  reloadRunRawRetention,
  writerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ClickhouseWriter,
  type RawRetentionFingerprint,
} from '../../../../libs/store/src';
import { describeError } from '../pipeline/insert-errors';
import { PROJECTOR_CONFIG, type ProjectorConfig } from '../projector.service';

/**
 * Applies the experiments' raw-point retention (migration 008) to what is already stored. The age limits are read
 * from the projection, like every other state: metric_points' TTL looks each row's limit up in a dictionary of
 * retained runs, which this keeps current.
 * - A limit set, changed or cleared: reload the dictionary, then materialize the TTL, so existing points leave now
 *   (or, once cleared, no longer expire) instead of at some later merge.
 * - A run created in a limited experiment: reload the dictionary, so its points carry their expiry from insert on.
 * One check at a time; a failed check is logged and tried again at the next tick, never blocking projection.
 */
@Injectable()
export class RawRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('raw-retention');
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private applied: RawRetentionFingerprint | null = null;
  private readonly reader: ClickhouseReader;
  private readonly writer: ClickhouseWriter;

  constructor(
    @Inject(CLICKHOUSE) ch: ClickHouse,
    @Inject(PROJECTOR_CONFIG) private readonly config: Pick<ProjectorConfig, 'retentionCheckMs'>,
  ) {
    this.reader = readerFor(ch);
    this.writer = writerFor(ch);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), this.config.retentionCheckMs ?? 60_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  /** Single-flight: a tick that finds a check running waits for it instead of starting another. */
  check(): Promise<void> {
    this.checking ??= this.apply()
      .catch((error: unknown) =>
        this.logger.warn(`retention check failed, will retry: ${describeError(error)}`),
      )
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  private async apply(): Promise<void> {
    const seen = await getRawRetentionFingerprint(this.reader);
    const before = this.applied;
    // After a restart nothing is known to be applied: a limit set while this process was down is applied now.
    const limitsChanged = before === null ? seen.limitedExperiments > 0 : before.limits !== seen.limits;
    const runsChanged = before === null || before.runs !== seen.runs;
    if (!limitsChanged && !runsChanged) return;
    await reloadRunRawRetention(this.writer);
    if (limitsChanged) {
      this.logger.log(
        `raw-point age limits changed (${seen.limitedExperiments} experiments): materializing TTL`,
      );
      await materializeRawRetention(this.writer);
    }
    this.applied = seen;
  }
}
