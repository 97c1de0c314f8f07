import {
  Args,
  Context,
  Float,
  ID,
  Int,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { defaultWorkspaceOf, principalOf } from '../../../../libs/access/src';
import { ValidationError } from '../../../../libs/domain/src/errors';
import type { ReadScope } from '../../../../libs/store/src';
import { ReadScopeOfCaller } from '../access/read-scope.decorator';
import { LIST_BOUNDS, ListSize, sizedListCost } from '../limits/list-sizes';
import { enc, RegistryCommands, type GraphqlRequest } from './registry-commands';
import { RegistryReadsService } from './registry-reads.service';
import {
  ModelAsOf,
  ModelStageName,
  Promotion,
  PromotionInput,
  RegisteredModel,
  RegistryCommandResult,
} from './registry.models';

const LATEST_INSTANT = 10_000_000_000_000;

/**
 * The model registry over GraphQL. Reads come from the projection (and, as of an instant, from the log); every
 * mutation is the ingest API's command, sent as the caller to the ingest route that decides it.
 */
@Resolver(() => RegisteredModel)
export class RegistryResolver {
  constructor(
    private readonly reads: RegistryReadsService,
    private readonly commands: RegistryCommands,
  ) {}

  @Query(() => [RegisteredModel], {
    description: 'Registered models the caller may read, by name; deleted ones only with includeDeleted.',
    complexity: sizedListCost(LIST_BOUNDS.registeredModels),
  })
  registeredModels(
    @ListSize(LIST_BOUNDS.registeredModels) limit: number,
    @ReadScopeOfCaller() scope: ReadScope,
    @Args('nameContains', { nullable: true }) nameContains?: string,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('includeDeleted', { nullable: true }) includeDeleted?: boolean,
  ): Promise<RegisteredModel[]> {
    return this.reads.models(scope, {
      nameContains,
      workspace,
      includeDeleted: includeDeleted ?? false,
      limit,
    });
  }

  @Query(() => RegisteredModel, {
    nullable: true,
    description: 'The live model of this name (in `workspace`).',
  })
  async registeredModel(
    @Args('name') name: string,
    @ReadScopeOfCaller() scope: ReadScope,
    @Args('workspace', { nullable: true }) workspace?: string,
  ): Promise<RegisteredModel | null> {
    const [model] = await this.reads.models(scope, { name, workspace, limit: 1 });
    return model ?? null;
  }

  @Query(() => ModelAsOf, {
    nullable: true,
    description:
      'The model that had this name at `asOf` (epoch ms), as it was then: its name claim and its stream read from ' +
      'the log up to that instant and folded, not the latest state. Null when no model had the name then.',
  })
  modelAsOf(
    @Args('name') name: string,
    @Args('asOf', { type: () => Float }) asOf: number,
    @ReadScopeOfCaller() scope: ReadScope,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
  ): Promise<ModelAsOf | null> {
    if (!Number.isInteger(asOf) || asOf < 0 || asOf >= LATEST_INSTANT) {
      throw new ValidationError(`asOf must be epoch milliseconds from 0 to ${LATEST_INSTANT - 1}`, 'asOf');
    }
    return this.reads.modelAsOf(name, workspace ?? requestWorkspace(request), asOf, scope);
  }

  @ResolveField(() => [Promotion], {
    description:
      'Every change of a stage or alias of this model, in log order: who, when, why, the approval.',
    complexity: sizedListCost(LIST_BOUNDS.promotions),
  })
  promotions(
    @Parent() model: RegisteredModel,
    @ListSize(LIST_BOUNDS.promotions) limit: number,
  ): Promise<Promotion[]> {
    return this.reads.promotions(model, limit);
  }

  @Mutation(() => RegistryCommandResult, {
    description: 'Registers a model; its name must be free in the workspace.',
  })
  createRegisteredModel(
    @Args('name') name: string,
    @Context('req') request: GraphqlRequest,
    @Args('description', { nullable: true }) description?: string,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', '', { name, description, eventId });
  }

  @Mutation(() => RegistryCommandResult)
  renameRegisteredModel(
    @Args('name') name: string,
    @Args('newName') newName: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(name)}/rename`, { name: newName, eventId });
  }

  @Mutation(() => RegistryCommandResult, {
    description: 'Admin: the model leaves the registry; its name is free.',
  })
  deleteRegisteredModel(
    @Args('name') name: string,
    @Args('reason') reason: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'DELETE', `/${enc(name)}`, { reason, eventId });
  }

  @Mutation(() => RegistryCommandResult, {
    description:
      'Admin: which stages and aliases need an approved request (by another user) to be promoted to.',
  })
  setModelApprovalPolicy(
    @Args('name') name: string,
    @Args('stages', { type: () => [ModelStageName] }) stages: ModelStageName[],
    @Args('aliases', { type: () => [String] }) aliases: string[],
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(name)}/policy`, {
      approvalRequired: { stages, aliases },
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult, {
    description:
      'Points an alias at a version. `replaces` names the version expected to hold it (null: free); another holder ' +
      'is a CONFLICT naming it, so of concurrent promotions exactly one wins.',
  })
  setAlias(
    @Args('alias') alias: string,
    @Args('promotion') promotion: PromotionInput,
    @Context('req') request: GraphqlRequest,
  ) {
    const { model, workspace, ...rest } = promotion;
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/aliases`, { alias, ...rest });
  }

  @Mutation(() => RegistryCommandResult)
  deleteAlias(
    @Args('model') model: string,
    @Args('alias') alias: string,
    @Args('reason') reason: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/aliases/${enc(alias)}/delete`, {
      reason,
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult, {
    description:
      'Moves a version to a stage. Staging and Production have one holder: `replaces` names the one expected ' +
      '(null: free), who is moved to Archived; another holder is a CONFLICT naming it.',
  })
  transitionStage(
    @Args('stage', { type: () => ModelStageName }) stage: ModelStageName,
    @Args('promotion') promotion: PromotionInput,
    @Context('req') request: GraphqlRequest,
  ) {
    const { model, workspace, version, ...rest } = promotion;
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/versions/${version}/stage`, {
      stage,
      ...rest,
    });
  }

  @Mutation(() => RegistryCommandResult, {
    description:
      'Asks for an approval to move a version to a stage or alias; give exactly one of stage and alias.',
  })
  requestApproval(
    @Args('model') model: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('reason') reason: string,
    @Context('req') request: GraphqlRequest,
    @Args('stage', { type: () => ModelStageName, nullable: true }) stage?: ModelStageName,
    @Args('alias', { nullable: true }) alias?: string,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    if ((stage === undefined || stage === null) === (alias === undefined || alias === null)) {
      throw new ValidationError('give exactly one of stage and alias', 'stage');
    }
    const target = stage ? { stage } : { alias };
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/approvals`, {
      version,
      target,
      reason,
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult, {
    description: 'Approver: approves a request made by another user.',
  })
  approve(
    @Args('model') model: string,
    @Args('approvalId', { type: () => ID }) approvalId: string,
    @Args('comment') comment: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(
      request,
      workspace,
      'POST',
      `/${enc(model)}/approvals/${enc(approvalId)}/approve`,
      {
        comment,
        eventId,
      },
    );
  }

  @Mutation(() => RegistryCommandResult, { description: 'Approver: rejects a request made by another user.' })
  reject(
    @Args('model') model: string,
    @Args('approvalId', { type: () => ID }) approvalId: string,
    @Args('comment') comment: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(
      request,
      workspace,
      'POST',
      `/${enc(model)}/approvals/${enc(approvalId)}/reject`,
      {
        comment,
        eventId,
      },
    );
  }
}

/** Where a request acts when it names no workspace: its header's, else the principal's own (as ingest decides). */
function requestWorkspace(request: GraphqlRequest): string {
  const header = request.headers['x-runlog-workspace'];
  return typeof header === 'string' ? header : defaultWorkspaceOf(principalOf(request));
}
