import type { NextFunction, Request, Response } from 'express';
import { CredentialRejected, type Authenticator } from '../../../../libs/access/src';

/**
 * Who each request is, before any route runs: the principal goes on the request (GraphQL's context reads it
 * there too). A credential that is presented and wrong is a 401 on every route, so a client learns at once that
 * its token was revoked or expired; a request without one goes on as the local owner or as anonymous, and the
 * route's entry in the permissions table decides (RouteAccessGuard).
 */
export function createAccessMiddleware(authenticator: Authenticator) {
  return function authenticate(request: Request, response: Response, next: NextFunction): void {
    authenticator.authenticate(request.headers.authorization).then(
      (principal) => {
        (request as Request & { principal?: unknown }).principal = principal;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof CredentialRejected)) return next(error);
        response.setHeader('www-authenticate', 'Bearer realm="runlog"');
        response
          .status(401)
          .json({ error: 'unauthenticated', message: error.message, field: 'authorization' });
      },
    );
  };
}
