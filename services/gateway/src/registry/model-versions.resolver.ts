import { Args, Context, ID, Int, Mutation, Resolver } from '@nestjs/graphql';
import { enc, RegistryCommands, type GraphqlRequest } from './registry-commands';
import { ModelTagInput, RegistryCommandResult } from './registry.models';

/** A model's versions over GraphQL: registered, tagged, described, deleted (each the ingest API's command). */
@Resolver()
export class ModelVersionsResolver {
  constructor(private readonly commands: RegistryCommands) {}

  @Mutation(() => RegistryCommandResult, {
    description: "A new version from a run's artifact; its sha256 is checked against the run's record of it.",
  })
  registerModelVersion(
    @Args('model') model: string,
    @Args('runId') runId: string,
    @Args('artifactPath') artifactPath: string,
    @Context('req') request: GraphqlRequest,
    @Args('sha256', { nullable: true }) sha256?: string,
    @Args('description', { nullable: true }) description?: string,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/versions`, {
      runId,
      artifactPath,
      sha256,
      description,
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult, {
    description: "Sets a version's tags (the keys given; others kept).",
  })
  setModelVersionTags(
    @Args('model') model: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('tags', { type: () => [ModelTagInput] }) tags: ModelTagInput[],
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/versions/${version}/tags`, {
      tags: Object.fromEntries(tags.map((tag) => [tag.key, tag.value])),
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult, { description: "Deletes these keys of a version's tags." })
  deleteModelVersionTags(
    @Args('model') model: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('keys', { type: () => [String] }) keys: string[],
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/versions/${version}/tags/delete`, {
      keys,
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult)
  describeModelVersion(
    @Args('model') model: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('description') description: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'POST', `/${enc(model)}/versions/${version}/description`, {
      description,
      eventId,
    });
  }

  @Mutation(() => RegistryCommandResult, {
    description:
      'Admin: deletes a version. The aliases on it are removed with it (each recorded); its number is never given again.',
  })
  deleteModelVersion(
    @Args('model') model: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('reason') reason: string,
    @Context('req') request: GraphqlRequest,
    @Args('workspace', { nullable: true }) workspace?: string,
    @Args('eventId', { type: () => ID, nullable: true }) eventId?: string,
  ) {
    return this.commands.send(request, workspace, 'DELETE', `/${enc(model)}/versions/${version}`, {
      reason,
      eventId,
    });
  }
}
