import { Injectable } from '@nestjs/common';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { countPoints, streams } from '../../../../libs/events/src/run.events';
import { decideRun, type RunCommand } from '../../../../libs/domain/src/run/run.decider';
import { foldRun } from '../../../../libs/domain/src/folds';
import { checkDuplicate } from '../../../../libs/log/src/append-rules';
import { CommandHandler, derivedEventId, type Caller } from '../commands/command-handler';
import { RunWriteGate } from '../commands/run-write-gate';
import type { LogMetricsBody } from '../ingest.schemas';
import { LivenessTracker } from '../liveness';
import { checkMetricColumns } from './metric-batch';

/**
 * Metric batches go to their own topic and stream (`metrics:<runId>`), so a sweep's points never queue behind
 * lifecycle events. The run's stream decides whether the run takes points; the run's write gate makes that
 * decision hold until the batch is appended (no ending can slip in between), without one expected version
 * covering both streams.
 */
@Injectable()
export class MetricsService {
  constructor(
    private readonly commands: CommandHandler,
    private readonly gate: RunWriteGate,
    private readonly liveness: LivenessTracker,
  ) {}

  async logMetrics(caller: Caller, runId: string, body: LogMetricsBody) {
    checkMetricColumns(body.metrics);
    const eventId = body.eventId ?? newEventId();
    const result = await this.gate.shared(runId, async () => {
      // A retry whose first attempt landed is answered before deciding: the run may have ended (or gone stale)
      // since, and deciding again would refuse it, or record a resume it does not need.
      const earlier = await this.commands.log.findEventId(eventId);
      if (earlier) {
        checkDuplicate({ id: eventId, requestDigest: caller.requestDigest }, streams.metrics(runId), earlier);
        return {
          appended: false,
          points: body.metrics.reduce((sum, series) => sum + series.steps.length, 0),
        };
      }
      const now = this.commands.now();
      const command: RunCommand = {
        type: 'LogMetrics',
        data: { runId, series: body.metrics, ...(body.worker !== undefined && { worker: body.worker }) },
        metadata: { now },
      };
      // The batch goes to the run's workspace; a run the caller may not see reads as unknown.
      const seen = await this.commands.readAs(streams.run(runId), caller);
      const inRun = seen.caller;
      let run = foldRun(seen.events);
      if (run.status === 'stale') {
        // Back from silence: the resume goes on the run's stream first (the same id on every retry of this batch).
        const resume = {
          stream: streams.run(runId),
          topic: TOPICS.lifecycle,
          caller: inRun,
          occurredAt: body.occurredAt,
        };
        await this.commands.handle({ ...resume, eventId: derivedEventId(eventId, 'resume') }, (events, at) =>
          decideRun({ type: 'Heartbeat', data: { runId }, metadata: { now: at } }, foldRun(events)),
        );
        run = { ...run, status: 'running' };
      }
      const [event] = decideRun(command, run);
      const target = { caller: inRun, occurredAt: body.occurredAt };
      const appended = await this.commands.append(TOPICS.metrics, streams.metrics(runId), [
        this.commands.toNewEvent(event, eventId, target),
      ]);
      const points = event.type === 'metrics.logged' ? countPoints(event.payload) : 0;
      return { appended: appended.appended.length > 0, points };
    });
    this.liveness.seen(runId);
    return { eventIds: [eventId], ...result };
  }
}
