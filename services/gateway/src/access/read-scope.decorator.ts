import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { readScopeOfRequest } from '../../../../libs/access/src';
import type { ReadScope } from '../../../../libs/store/src';

/**
 * The workspaces the caller may read, for a resolver or a route: every read takes it, so a query cannot forget
 * it. GraphQL's context (subscriptions' too) carries the request the access middleware authenticated.
 */
export const ReadScopeOfCaller = createParamDecorator((_: unknown, context: ExecutionContext): ReadScope => {
  const request =
    context.getType<GqlContextType>() === 'graphql'
      ? GqlExecutionContext.create(context).getContext<{ req: object }>().req
      : context.switchToHttp().getRequest<object>();
  return readScopeOfRequest(request);
});
