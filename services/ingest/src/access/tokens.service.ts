import { Inject, Injectable } from '@nestjs/common';
import {
  ACCESS,
  can,
  describeToken,
  newApiToken,
  rolesIn,
  tokenStream,
  type AccessServices,
  type Principal,
  type TokenIssuedPayload,
  type TokenRecord,
  type TokenRevokedPayload,
} from '../../../../libs/access/src';
import { ForbiddenError, NotFoundError } from '../../../../libs/domain/src/errors';
import { newEventId, TOPICS } from '../../../../libs/events/src/envelope';
import { CommandHandler, type Caller } from '../commands/command-handler';
import type { IssueTokenBody, RevokeTokenBody } from './token-requests';

/**
 * API tokens as events on the access topic (`token:<id>`): issued with the sha256 of their secret, revoked with
 * who and why. The actor of each is the principal who did it, so the log says who held which access when. Every
 * process reads these back through its AccessDirectory; this one reads them at once after writing.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly commands: CommandHandler,
    @Inject(ACCESS) private readonly access: AccessServices,
  ) {}

  /**
   * Anyone may issue a token for itself with roles it holds in the workspace (a narrower key for a CI job); an
   * admin of the workspace may issue any roles, for any principal, and the right to act on behalf of others.
   */
  async issue(caller: Caller, body: IssueTokenBody) {
    const principal = callerPrincipal(caller);
    const workspace = body.workspace ?? caller.workspace;
    const holder = body.principal ?? principal.name;
    const admin = can(principal, 'admin', workspace);
    if (!admin) {
      const held = rolesIn(principal, workspace);
      const beyond = body.roles.filter((role) => !held.includes(role));
      if (holder !== principal.name) {
        throw new ForbiddenError(
          `only an admin of "${workspace}" may issue tokens for another principal`,
          'principal',
        );
      }
      if (beyond.length > 0) {
        throw new ForbiddenError(
          `${principal.name} does not hold ${beyond.join(', ')} in "${workspace}"`,
          'roles',
        );
      }
      if (body.actOnBehalf) {
        throw new ForbiddenError(
          `only an admin of "${workspace}" may issue a token that acts on behalf of others`,
          'actOnBehalf',
        );
      }
    }
    const secret = newApiToken();
    const payload: TokenIssuedPayload = {
      tokenId: secret.tokenId,
      principal: holder,
      workspace,
      roles: body.roles,
      secretSha256: secret.secretSha256,
      expiresAt: body.expiresAt ?? null,
      description: body.description ?? null,
      actOnBehalf: body.actOnBehalf ?? false,
    };
    // A fresh random id: no other writer can hold this stream, so it is written here, by whoever was asked.
    await this.commands.append(
      TOPICS.access,
      tokenStream(secret.tokenId),
      [this.event('token.issued', payload, { ...caller, workspace })],
      { expectedVersion: 'no_stream' },
    );
    await this.access.directory.catchUp();
    const issued = this.access.directory.token(secret.tokenId);
    return {
      ...describeToken(
        issued ?? ({ ...payload, issuedAt: new Date().toISOString(), issuedBy: caller.actor } as TokenRecord),
      ),
      token: secret.token,
    };
  }

  /** An admin of the workspace sees all its tokens; anyone else sees its own. */
  list(caller: Caller, workspace: string | undefined) {
    const principal = callerPrincipal(caller);
    const tokens = this.access.directory
      .list()
      .filter((token) => workspace === undefined || token.workspace === workspace)
      .filter((token) => token.principal === principal.name || can(principal, 'admin', token.workspace));
    return { tokens: tokens.map(describeToken) };
  }

  /** Its holder or an admin of its workspace; a token the caller may not see is unknown. Revoking again is a no-op. */
  async revoke(caller: Caller, tokenId: string, body: RevokeTokenBody) {
    const principal = callerPrincipal(caller);
    await this.access.directory.catchUp();
    const token = this.access.directory.token(tokenId);
    const own = token !== undefined && token.principal === principal.name;
    if (!token || (!own && !can(principal, 'read', token.workspace))) {
      throw new NotFoundError(`token ${tokenId} does not exist`, 'tokenId');
    }
    if (!own && !can(principal, 'admin', token.workspace)) {
      throw new ForbiddenError(
        `only its holder or an admin of "${token.workspace}" may revoke token ${tokenId}`,
        'tokenId',
      );
    }
    if (token.revokedAt === undefined) {
      const payload: TokenRevokedPayload = { tokenId, reason: body.reason ?? null };
      await this.commands.append(TOPICS.access, tokenStream(tokenId), [
        this.event('token.revoked', payload, { ...caller, workspace: token.workspace }),
      ]);
      await this.access.directory.catchUp();
    }
    const revoked = this.access.directory.token(tokenId) ?? token;
    return { tokenId, revokedAt: revoked.revokedAt, revokedBy: revoked.revokedBy };
  }

  whoami(caller: Caller) {
    const principal = callerPrincipal(caller);
    return {
      principal: principal.name,
      kind: principal.kind,
      ...(principal.tokenId === undefined ? {} : { tokenId: principal.tokenId }),
      grants: principal.grants,
      actOnBehalf: principal.mayActOnBehalf,
    };
  }

  private event(type: string, payload: unknown, caller: Caller) {
    return this.commands.toNewEvent({ type, v: 1, payload } as never, newEventId(), { caller });
  }
}

function callerPrincipal(caller: Caller): Principal {
  if (!caller.principal) throw new Error('token requests are made by a principal');
  return caller.principal;
}
