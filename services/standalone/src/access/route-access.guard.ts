import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ACCESS,
  decideAccess,
  principalOf,
  ROUTE_PERMISSIONS,
  routeKey,
  type AccessServices,
} from '../../../../libs/access/src';

/**
 * Every HTTP route's entry in the permissions table, checked before its handler (a route without one is refused).
 * GraphQL operations are checked field by field by the gateway's access plugin instead, so this passes them.
 */
@Injectable()
export class RouteAccessGuard implements CanActivate {
  constructor(@Inject(ACCESS) private readonly access: AccessServices) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const path = (request.route as { path?: unknown } | undefined)?.path;
    const key = routeKey(request.method, typeof path === 'string' ? path : request.path);
    const decision = decideAccess(ROUTE_PERMISSIONS[key], principalOf(request), {
      documents: this.access.authenticator.config.documents,
      surface: key,
    });
    if (decision.allowed) return true;
    // Set here, not by each service's error filter: every route (export, reprojection) answers a 401 the same way.
    if (decision.status === 401)
      context.switchToHttp().getResponse<Response>().setHeader('www-authenticate', 'Bearer realm="runlog"');
    const error = decision.status === 401 ? 'unauthenticated' : 'forbidden';
    throw new HttpException({ error, message: decision.message, field: 'authorization' }, decision.status);
  }
}
