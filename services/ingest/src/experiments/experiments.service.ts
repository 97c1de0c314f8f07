import { Injectable } from '@nestjs/common';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import {
  decideExperiment,
  type ExperimentCommand,
} from '../../../../libs/domain/src/experiment/experiment.decider';
import { decideSweep } from '../../../../libs/domain/src/sweep/sweep.decider';
import { DomainError, NameTakenError, NotFoundError } from '../../../../libs/domain/src/errors';
import { foldExperiment, foldNameClaim, foldSweep } from '../../../../libs/domain/src/folds';
import { decideNameClaim, type NameClaimCommand } from '../../../../libs/domain/src/model/name-claim.decider';
import { registryStreams } from '../../../../libs/events/src/model-registry.events';
import {
  CommandHandler,
  derivedEventId,
  type Acknowledgement,
  type Caller,
} from '../commands/command-handler';
import type {
  BareBody,
  CreateExperimentBody,
  CreateSweepBody,
  RenameBody,
  SetRetentionBody,
  SetTagsBody,
  DeleteTagsBody,
} from '../ingest.schemas';

/** Experiments and the sweeps inside them: each command goes through the one command handler. */
@Injectable()
export class ExperimentsService {
  constructor(private readonly commands: CommandHandler) {}

  /**
   * The name is claimed first (its own stream, `name:experiment:<workspace>/<name>`), then the experiment made; a
   * retry finds both in place. With getOrCreate, a name held by another experiment answers that one.
   */
  async createExperiment(caller: Caller, body: CreateExperimentBody) {
    const eventId = body.eventId ?? newEventId();
    const experimentId = body.experimentId ?? eventId;
    const holder = await this.nameHolder(caller, body.name);
    if (body.getOrCreate && holder !== null && holder !== experimentId) {
      return { experimentId: holder, eventIds: [], appended: false, created: false };
    }
    await this.commands.checkEventId(eventId, streams.experiment(experimentId), caller);
    const command: ExperimentCommand = { type: 'CreateExperiment', data: { experimentId, name: body.name } };
    const target = { ...body, eventId };
    // An id that names an experiment already (not this request's, on a retry) is refused before any claim: the
    // name must not end up held by an experiment of another name, or of another workspace.
    const existing = await this.commands.readAs(streams.experiment(experimentId), caller);
    if (
      (existing.hidden || existing.events.length > 0) &&
      !existing.events.some((event) => event.id === eventId)
    ) {
      await this.experimentCommand(experimentId, target, caller, command);
    }
    try {
      await this.claim(caller, derivedEventId(eventId, 'claim'), body, {
        name: body.name,
        holder: experimentId,
      });
    } catch (error) {
      const winner = await this.nameHolder(caller, body.name);
      // Two get-or-creates of one name at once: the one that lost the claim answers the winner's experiment.
      if (error instanceof NameTakenError && body.getOrCreate && winner !== null) {
        return { experimentId: winner, eventIds: [], appended: false, created: false };
      }
      throw error;
    }
    try {
      const ack = await this.experimentCommand(experimentId, target, caller, command);
      return { experimentId, ...ack, created: true };
    } catch (error) {
      // Made by nothing: the claim is given back before the refusal is answered.
      if (error instanceof DomainError) {
        await this.nameCommand(caller, derivedEventId(eventId, 'unclaim'), body, body.name, {
          type: 'ReleaseName',
          data: { holder: experimentId },
        });
      }
      throw error;
    }
  }

  /** The new name is claimed, the experiment renamed, the old name released; each step is a retry's no-op. */
  async renameExperiment(caller: Caller, experimentId: string, body: RenameBody) {
    const eventId = body.eventId ?? newEventId();
    const seen = await this.commands.readAs(streams.experiment(experimentId), caller);
    const earlier = seen.events.findIndex((event) => event.id === eventId);
    const before = foldExperiment(earlier >= 0 ? seen.events.slice(0, earlier) : seen.events);
    if (before.status === 'absent') {
      throw new NotFoundError(`experiment ${experimentId} does not exist`, 'experimentId');
    }
    const where = seen.caller;
    await this.commands.checkEventId(eventId, streams.experiment(experimentId), where);
    await this.claim(where, derivedEventId(eventId, 'claim'), body, {
      name: body.name,
      holder: experimentId,
    });
    const command: ExperimentCommand = { type: 'RenameExperiment', data: { experimentId, name: body.name } };
    const ack = await this.experimentCommand(experimentId, { ...body, eventId }, caller, command);
    if (before.name !== body.name) {
      await this.nameCommand(where, derivedEventId(eventId, 'release'), body, before.name, {
        type: 'ReleaseName',
        data: { holder: experimentId },
      });
    }
    return ack;
  }

  /** The workspace an experiment was created in, or null for an id no stream holds (routing reads it). */
  async workspaceOf(experimentId: string): Promise<string | null> {
    const events = await this.commands.read(streams.experiment(experimentId));
    return events[0]?.workspace ?? null;
  }

  private async nameHolder(caller: Caller, name: string): Promise<string | null> {
    const claim = await this.commands.readAs(
      registryStreams.name('experiment', caller.workspace, name),
      caller,
    );
    return foldNameClaim(claim.events).holder;
  }

  private claim(
    caller: Caller,
    eventId: string,
    body: { occurredAt?: string },
    data: { name: string; holder: string },
  ) {
    return this.nameCommand(caller, eventId, body, data.name, {
      type: 'ClaimName',
      data: { kind: 'experiment', ...data },
    });
  }

  private nameCommand(
    caller: Caller,
    eventId: string,
    body: { occurredAt?: string },
    name: string,
    command: NameClaimCommand,
  ) {
    const target = {
      stream: registryStreams.name('experiment', caller.workspace, name),
      topic: TOPICS.lifecycle,
      eventId,
      caller,
      occurredAt: body.occurredAt,
    };
    return this.commands.handle(target, (events) => decideNameClaim(command, foldNameClaim(events)));
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

  setTags(caller: Caller, experimentId: string, body: SetTagsBody) {
    return this.experimentCommand(experimentId, body, caller, {
      type: 'SetExperimentTags',
      data: { experimentId, tags: body.tags },
    });
  }

  deleteTags(caller: Caller, experimentId: string, body: DeleteTagsBody) {
    return this.experimentCommand(experimentId, body, caller, {
      type: 'DeleteExperimentTags',
      data: { experimentId, keys: body.keys },
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

/** Every command on the experiments of a workspace goes to one ingest process: the owner of this key. */
export function experimentsRouteKey(workspace: string): string {
  return `experiments:${workspace}`;
}
