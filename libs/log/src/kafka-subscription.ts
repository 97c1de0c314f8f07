import type { Consumer } from 'kafkajs';
import type { Subscription } from './event-log';

export const RETRY_BACKOFF_MS = 500;
export const MAX_RETRY_BACKOFF_MS = 5_000;

/** One consumer group member of the Kafka event log: started (and restarted after failures) until stop(). */
export class KafkaSubscription implements Subscription {
  private running: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly onStopped: () => void,
  ) {}

  /** Starts the consumer; a start that fails (broker unreachable) is reported and tried again until stop(). */
  start(run: () => Promise<void>, onError?: (error: unknown) => void): void {
    this.running = (async () => {
      for (let failures = 1; !this.stopRequested; failures += 1) {
        try {
          await run();
          return;
        } catch (error) {
          onError?.(error);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(
              resolve,
              Math.min(RETRY_BACKOFF_MS * 2 ** (failures - 1), MAX_RETRY_BACKOFF_MS),
            );
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = null;
        }
      }
    })();
  }

  /** Resolves once the batch in hand was handled and committed and the consumer left its group. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true;
      this.wake?.();
      await this.running;
      await this.consumer.disconnect();
      this.onStopped();
    })();
    return this.stopping;
  }
}
