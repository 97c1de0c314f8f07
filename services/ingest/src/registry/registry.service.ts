import { Injectable } from '@nestjs/common';
import { can } from '../../../../libs/access/src';
import {
  DomainError,
  ForbiddenError,
  IllegalTransition,
  NotFoundError,
  ValidationError,
} from '../../../../libs/domain/src/errors';
import { foldModel, foldNameClaim, foldRun } from '../../../../libs/domain/src/folds';
import { decideModel, type ModelCommand } from '../../../../libs/domain/src/model/model.decider';
import type { LiveModelState } from '../../../../libs/domain/src/model/model.state';
import { decideNameClaim, type NameClaimCommand } from '../../../../libs/domain/src/model/name-claim.decider';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { registryStreams, type PromotionTarget } from '../../../../libs/events/src/model-registry.events';
import { streams } from '../../../../libs/events/src/run.events';
import {
  CommandHandler,
  derivedEventId,
  userOf,
  type Acknowledgement,
  type Caller,
} from '../commands/command-handler';
import type { RegistryBodies } from './registry.schemas';

/** What every registry command answers: the acknowledgement and the model as it stands after it. */
export interface RegistryAnswer extends Acknowledgement {
  modelId: string;
  workspace: string;
  model: LiveModelState;
}

type Envelope = { eventId?: string; occurredAt?: string };

/**
 * The model registry's use cases, each through the one command handler. Every command of a workspace's registry
 * is handled by one ingest process (routed by `registryRouteKey`), which is what makes each model's promotions
 * linearizable and each name claim exact on Kafka, where the log has no compare-and-append of its own.
 */
@Injectable()
export class RegistryService {
  constructor(private readonly commands: CommandHandler) {}

  /**
   * Claims the name, then makes the model; a model that cannot be made gives its claim back, so no name is left
   * held by nothing. (Commands of a workspace's registry run one at a time: the controller holds its lock.)
   */
  async createModel(caller: Caller, body: RegistryBodies['CreateModel'] & { eventId: string }) {
    const modelId = body.eventId;
    await this.commands.checkEventId(body.eventId, registryStreams.model(modelId), caller);
    await this.claim(caller, body, { kind: 'model', name: body.name, holder: modelId });
    return this.undoClaimOnRefusal(caller, body, body.name, modelId, () =>
      this.decide(caller, modelId, body, {
        type: 'CreateModel',
        data: { modelId, name: body.name, description: body.description ?? '', tags: body.tags ?? {} },
      }),
    );
  }

  /** The new name is claimed first, then the model renamed, then the old name released (each a retry's no-op). */
  async renameModel(caller: Caller, name: string, body: RegistryBodies['RenameModel']) {
    const eventId = body.eventId ?? newEventId();
    const modelId = await this.modelIdOf(caller, name, eventId);
    await this.commands.checkEventId(eventId, registryStreams.model(modelId), caller);
    const before = foldModel(await this.commands.read(registryStreams.model(modelId)));
    // A model under an approval policy is held by its name: freeing the name would let a writer register an
    // unapproved model under it, so only an admin renames one.
    const governed =
      before.status !== 'absent' && (before.policy.stages.length > 0 || before.policy.aliases.length > 0);
    if (governed && caller.principal && !can(caller.principal, 'admin', caller.workspace)) {
      throw new ForbiddenError(
        `model "${name}" has an approval policy: renaming it needs admin`,
        'authorization',
      );
    }
    const moving = body.name !== name;
    if (moving)
      await this.claim(caller, { ...body, eventId }, { kind: 'model', name: body.name, holder: modelId });
    const rename = () =>
      this.decide(caller, modelId, { ...body, eventId }, { type: 'RenameModel', data: { name: body.name } });
    const answer = moving
      ? await this.undoClaimOnRefusal(caller, { ...body, eventId }, body.name, modelId, rename)
      : await rename();
    if (moving) await this.release(caller, { ...body, eventId }, name, modelId);
    return answer;
  }

  async deleteModel(caller: Caller, name: string, body: RegistryBodies['DeleteModel']) {
    const eventId = body.eventId ?? newEventId();
    const modelId = await this.modelIdOf(caller, name, eventId);
    const answer = await this.decide(
      caller,
      modelId,
      { ...body, eventId },
      {
        type: 'DeleteModel',
        data: { reason: body.reason },
      },
    );
    // The name the model had when it was deleted: the one its claim holds.
    const held = answer.model.status === 'deleted' ? answer.model.name : name;
    await this.release(caller, { ...body, eventId }, held, modelId);
    return answer;
  }

  async command(caller: Caller, name: string, body: Envelope, command: ModelCommand) {
    return this.decide(caller, await this.modelIdOf(caller, name, body.eventId), body, command);
  }

  /** A version from a run of the model's workspace and one of its artifacts, checked against the run's record. */
  async registerVersion(caller: Caller, name: string, body: RegistryBodies['RegisterModelVersion']) {
    const modelId = await this.modelIdOf(caller, name);
    const run = await this.commands.readAs(streams.run(body.runId), caller);
    const state = foldRun(run.events);
    if (state.status === 'absent') throw new NotFoundError(`run ${body.runId} does not exist`, 'runId');
    if (run.caller.workspace !== caller.workspace) {
      throw new ValidationError(
        `run ${body.runId} is in workspace "${run.caller.workspace}", the model in "${caller.workspace}"`,
        'runId',
      );
    }
    if (state.deleted) throw new IllegalTransition(`run ${body.runId} is deleted`, 'runId');
    const artifact = Object.hasOwn(state.artifacts, body.artifactPath)
      ? state.artifacts[body.artifactPath]
      : null;
    if (!artifact) {
      throw new NotFoundError(`run ${body.runId} has no artifact at "${body.artifactPath}"`, 'artifactPath');
    }
    if (body.sha256 !== undefined && body.sha256 !== artifact.digest) {
      throw new ValidationError(
        `the artifact at "${body.artifactPath}" of run ${body.runId} has sha256 ${artifact.digest}, not ${body.sha256}`,
        'sha256',
      );
    }
    return this.decide(caller, modelId, body, {
      type: 'RegisterModelVersion',
      data: {
        runId: body.runId,
        artifactPath: body.artifactPath,
        sha256: artifact.digest,
        description: body.description ?? '',
      },
    });
  }

  async requestApproval(
    caller: Caller,
    name: string,
    body: RegistryBodies['RequestApproval'] & { eventId: string },
  ) {
    const target: PromotionTarget =
      'stage' in body.target
        ? { kind: 'stage', stage: body.target.stage }
        : { kind: 'alias', alias: body.target.alias };
    const answer = await this.command(caller, name, body, {
      type: 'RequestApproval',
      data: {
        approvalId: body.eventId,
        version: body.version,
        target,
        reason: body.reason,
        actor: userOf(caller),
      },
    });
    return { ...answer, approvalId: body.eventId };
  }

  /** The model a name of the caller's workspace holds now, from the name's claim stream. */
  async modelIdOf(caller: Caller, name: string, eventId?: string): Promise<string> {
    const claim = await this.commands.readAs(registryStreams.name('model', caller.workspace, name), caller);
    const holder = foldNameClaim(claim.events).holder;
    if (holder === null) {
      // A retry of a rename or delete that went through: the name is gone, the event is in the model's stream.
      const earlier = eventId === undefined ? null : await this.commands.log.findEventId(eventId);
      if (earlier?.stream.startsWith('model:')) return earlier.stream.slice('model:'.length);
      throw new NotFoundError(`no model is named "${name}" in workspace "${caller.workspace}"`, 'name');
    }
    return holder;
  }

  private async decide(caller: Caller, modelId: string, body: Envelope, command: ModelCommand) {
    const stream = registryStreams.model(modelId);
    const target = {
      stream,
      topic: TOPICS.registry,
      eventId: body.eventId ?? newEventId(),
      caller,
      occurredAt: body.occurredAt,
    };
    const ack = await this.commands.handle(target, (events) => decideModel(command, foldModel(events)));
    const model = foldModel(await this.commands.read(stream));
    if (model.status === 'absent') throw new NotFoundError(`model ${modelId} does not exist`, 'name');
    return { ...ack, modelId, workspace: caller.workspace, model } satisfies RegistryAnswer;
  }

  private claim(
    caller: Caller,
    body: Envelope & { eventId: string },
    data: Extract<NameClaimCommand, { type: 'ClaimName' }>['data'],
  ) {
    return this.nameCommand(caller, body, derivedEventId(body.eventId, 'claim'), data.name, {
      type: 'ClaimName',
      data,
    });
  }

  /** Runs the step after a claim; when it is refused, the claim is given back before the refusal is answered. */
  private async undoClaimOnRefusal<T>(
    caller: Caller,
    body: Envelope & { eventId: string },
    name: string,
    holder: string,
    step: () => Promise<T>,
  ): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof DomainError) {
        await this.nameCommand(caller, body, derivedEventId(body.eventId, 'unclaim'), name, {
          type: 'ReleaseName',
          data: { holder },
        });
      }
      throw error;
    }
  }

  private release(caller: Caller, body: Envelope & { eventId: string }, name: string, holder: string) {
    return this.nameCommand(caller, body, derivedEventId(body.eventId, 'release'), name, {
      type: 'ReleaseName',
      data: { holder },
    });
  }

  private nameCommand(
    caller: Caller,
    body: Envelope,
    eventId: string,
    name: string,
    command: NameClaimCommand,
  ) {
    const target = {
      stream: registryStreams.name('model', caller.workspace, name),
      topic: TOPICS.registry,
      eventId,
      caller,
      occurredAt: body.occurredAt,
    };
    return this.commands.handle(target, (events) => decideNameClaim(command, foldNameClaim(events)));
  }
}

/** Every registry command of a workspace goes to one ingest process: the owner of this key. */
export function registryRouteKey(workspace: string): string {
  return `registry:${workspace}`;
}
