import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AUDIT_CHECKPOINTS, CheckpointWriter, type CheckpointConfig } from '../../../../libs/audit/src';
import { ARTIFACT_STORE, type ArtifactStore } from '../../../../libs/artifacts/src/artifact-store';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import { describeError } from '../pipeline/insert-errors';

/**
 * Signs every partition's Merkle tree head into the artifact store every RUNLOG_AUDIT_CHECKPOINT_MS, when a key is
 * configured: what `runlog audit verify` and `auditVerify` compare the log with, so a log rewritten with recomputed
 * hashes, or cut at its end, is found. Runs beside projection and never blocks it; a failed tick is logged and tried
 * again at the next. With several projector processes each signs (the same roots for the same sizes).
 */
@Injectable()
export class CheckpointerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('audit-checkpoints');
  private readonly writer: CheckpointWriter | null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private readonly reported = new Set<string>();

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(ARTIFACT_STORE) store: ArtifactStore,
    @Inject(AUDIT_CHECKPOINTS) private readonly config: CheckpointConfig,
  ) {
    this.writer = config.signingKey ? new CheckpointWriter(log, store, config.signingKey) : null;
  }

  onApplicationBootstrap(): void {
    if (!this.writer) {
      this.logger.log(
        'signed audit checkpoints are off: set RUNLOG_AUDIT_SIGNING_KEY_FILE to an ed25519 key',
      );
      return;
    }
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** Single-flight: the first tick reads the whole log, and a slow one must not pile up behind the timer. */
  tick(): Promise<void> {
    const writer = this.writer;
    if (!writer) return Promise.resolve();
    this.ticking ??= writer
      .tick()
      .then((written) => {
        for (const { body } of written) {
          this.logger.debug(`signed ${body.topic}/${body.partition} at ${body.treeSize} events`);
        }
        for (const divergence of writer.divergences()) {
          if (this.reported.has(divergence)) continue;
          this.reported.add(divergence);
          this.logger.error(`not signing ${divergence}: the log was rewritten; run runlog audit verify`);
        }
      })
      .catch((error: unknown) => this.logger.warn(`checkpoint failed, will retry: ${describeError(error)}`))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }
}
