import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { TOKEN_ID_PATTERN, WORKSPACE_PATTERN } from '../../../../libs/access/src';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { HttpErrorFilter } from '../http-errors';
import { CallerHeaders } from '../ingest.controller';
import { IngestRouter } from '../ingest-router';
import type { Caller } from '../commands/command-handler';
import { issueTokenBody, revokeTokenBody } from './token-requests';
import { TokensService } from './tokens.service';

function tokenIdParam(tokenId: string): string {
  if (!TOKEN_ID_PATTERN.test(tokenId))
    throw new ValidationError(`"tokenId" must match ${TOKEN_ID_PATTERN.source}`, 'tokenId');
  return tokenId;
}

/** API tokens: issued (the secret shown once), listed, revoked; and who the caller is. */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly router: IngestRouter,
  ) {}

  @Get('whoami')
  whoami(@CallerHeaders() caller: Caller) {
    return this.tokens.whoami(caller);
  }

  @Post('tokens')
  issue(@Body() body: unknown, @CallerHeaders() caller: Caller) {
    return this.tokens.issue(caller, issueTokenBody(body, Date.now()));
  }

  @Get('tokens')
  list(@CallerHeaders() caller: Caller, @Query('workspace') workspace?: unknown) {
    if (
      workspace !== undefined &&
      (typeof workspace !== 'string' || !new RegExp(WORKSPACE_PATTERN).test(workspace))
    ) {
      throw new ValidationError(`"workspace" must match ${WORKSPACE_PATTERN}`, 'workspace');
    }
    return this.tokens.list(caller, workspace);
  }

  /** Routed to the token's owner process, so each token stream has one writer. */
  @Post('tokens/:tokenId/revoke')
  @HttpCode(200)
  revoke(
    @Param('tokenId') tokenId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = tokenIdParam(tokenId);
    const valid = revokeTokenBody(body);
    return this.router.route(id, request, valid, () => this.tokens.revoke(caller, id, valid));
  }
}
