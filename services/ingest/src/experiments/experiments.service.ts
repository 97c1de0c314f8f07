import { Injectable } from '@nestjs/common';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import {
  decideExperiment,
  type ExperimentCommand,
} from '../../../../libs/domain/src/experiment/experiment.decider';
import { decideSweep } from '../../../../libs/domain/src/sweep/sweep.decider';
import { foldExperiment, foldSweep } from '../../../../libs/domain/src/folds';
import { CommandHandler, type Acknowledgement, type Caller } from '../commands/command-handler';
import type {
  BareBody,
  CreateExperimentBody,
  CreateSweepBody,
  RenameBody,
  SetRetentionBody,
} from '../ingest.schemas';

/** Experiments and the sweeps inside them: each command goes through the one command handler. */
@Injectable()
export class ExperimentsService {
  constructor(private readonly commands: CommandHandler) {}

  async createExperiment(caller: Caller, body: CreateExperimentBody) {
    const eventId = body.eventId ?? newEventId();
    const experimentId = body.experimentId ?? eventId;
    const command: ExperimentCommand = { type: 'CreateExperiment', data: { experimentId, name: body.name } };
    const ack = await this.experimentCommand(experimentId, { ...body, eventId }, caller, command);
    return { experimentId, ...ack };
  }

  renameExperiment(caller: Caller, experimentId: string, body: RenameBody) {
    const command: ExperimentCommand = { type: 'RenameExperiment', data: { experimentId, name: body.name } };
    return this.experimentCommand(experimentId, body, caller, command);
  }

  archiveExperiment(caller: Caller, experimentId: string, body: BareBody) {
    return this.experimentCommand(experimentId, body, caller, {
      type: 'ArchiveExperiment',
      data: { experimentId },
    });
  }

  restoreExperiment(caller: Caller, experimentId: string, body: BareBody) {
    return this.experimentCommand(experimentId, body, caller, {
      type: 'RestoreExperiment',
      data: { experimentId },
    });
  }

  setRetention(caller: Caller, experimentId: string, body: SetRetentionBody) {
    return this.experimentCommand(experimentId, body, caller, {
      type: 'SetExperimentRetention',
      data: { experimentId, rawPointsMaxAgeDays: body.rawPointsMaxAgeDays },
    });
  }

  async createSweep(caller: Caller, body: CreateSweepBody) {
    const eventId = body.eventId ?? newEventId();
    const sweepId = body.sweepId ?? eventId;
    // The sweep lives in its experiment's workspace; an experiment the caller may not see is unknown.
    const seen = await this.commands.readAs(streams.experiment(body.experimentId), caller);
    const experiment = foldExperiment(seen.events).status;
    const target = {
      stream: streams.sweep(sweepId),
      topic: TOPICS.lifecycle,
      eventId,
      caller: seen.caller,
      occurredAt: body.occurredAt,
    };
    const ack = await this.commands.handle(target, (events) =>
      decideSweep(
        {
          type: 'CreateSweep',
          data: {
            sweepId,
            experimentId: body.experimentId,
            name: body.name ?? '',
            method: body.method ?? 'manual',
            searchSpace: body.searchSpace,
            objective: body.objective ?? null,
            experiment,
          },
        },
        foldSweep(events),
      ),
    );
    return { sweepId, ...ack };
  }

  private experimentCommand(
    experimentId: string,
    body: { eventId?: string; occurredAt?: string },
    caller: Caller,
    command: ExperimentCommand,
  ): Promise<Acknowledgement> {
    const target = {
      stream: streams.experiment(experimentId),
      topic: TOPICS.lifecycle,
      eventId: body.eventId ?? newEventId(),
      caller,
      occurredAt: body.occurredAt,
    };
    return this.commands.handle(target, (events) => decideExperiment(command, foldExperiment(events)));
  }
}
