import { Context, Field, ID, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { principalOf } from '../../../../libs/access/src';

@ObjectType({ description: 'Roles a principal holds in one workspace; `*` is every workspace.' })
export class WorkspaceGrant {
  @Field()
  workspace!: string;

  @Field(() => [String])
  roles!: string[];
}

@ObjectType({ description: 'Who the request is made by, and what it may do where.' })
export class Whoami {
  @Field({ description: 'Stamped as the actor of every event this principal writes.' })
  principal!: string;

  @Field({ description: 'local (the loopback owner), bootstrap, token, jwt or anonymous.' })
  kind!: string;

  @Field(() => ID, { nullable: true })
  tokenId?: string;

  @Field(() => [WorkspaceGrant])
  grants!: WorkspaceGrant[];

  @Field({ description: 'Whether x-runlog-actor is recorded as onBehalfOf for this principal.' })
  actOnBehalf!: boolean;
}

@Resolver()
export class WhoamiResolver {
  @Query(() => Whoami, { description: 'The principal making this request.' })
  whoami(@Context('req') request: object): Whoami {
    const principal = principalOf(request);
    return {
      principal: principal.name,
      kind: principal.kind,
      tokenId: principal.tokenId,
      grants: Object.entries(principal.grants).map(([workspace, roles]) => ({
        workspace,
        roles: [...roles],
      })),
      actOnBehalf: principal.mayActOnBehalf,
    };
  }
}
