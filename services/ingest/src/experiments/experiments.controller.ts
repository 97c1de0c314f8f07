import { Body, Controller, HttpCode, Param, Post, Req, UseFilters, UseInterceptors } from '@nestjs/common';
import type { Request } from 'express';
import { newEventId } from '../../../../libs/events/src/envelope';
import { requirePermissionWhereAsked, type Caller } from '../commands/command-handler';
import { KeyedLock } from '../commands/keyed-lock';
import { ConsistencyTokenInterceptor } from '../consistency/consistency-token.interceptor';
import { HttpErrorFilter } from '../http-errors';
import { IngestRouter } from '../ingest-router';
import { callerOf, runIdParam, withDigest } from '../ingest.controller';
import { OPTIONAL_BODIES, type RequestBodies, type RequestSchemaName } from '../ingest.schemas';
import { RequestValidator } from '../request-validator';
import { experimentsRouteKey, ExperimentsService } from './experiments.service';

/**
 * Experiments: every command on the experiments of a workspace is handled by one ingest process (the owner of
 * `experiments:<workspace>`), which makes name claims exact (experiment names are unique per workspace) and keeps
 * one writer per experiment stream. Other processes forward to it.
 */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
@UseInterceptors(ConsistencyTokenInterceptor)
export class ExperimentsController {
  private readonly validator = new RequestValidator();
  private readonly lock = new KeyedLock();

  constructor(
    private readonly experiments: ExperimentsService,
    private readonly router: IngestRouter,
  ) {}

  /** Creates one; with `getOrCreate`, a name the workspace already has answers that experiment (`created: false`). */
  @Post('experiments')
  create(@Body() body: unknown, @Req() request: Request) {
    // The ids are settled before routing, so a forwarded create and its retries make the same experiment.
    const validated = this.validator.validate('CreateExperiment', body);
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    const caller = callerOf(request);
    // The name is looked up in the workspace the request names: only where the caller may create.
    requirePermissionWhereAsked(caller);
    const key = experimentsRouteKey(caller.workspace);
    return this.router.route(key, request, resolved, () =>
      this.lock.run(key, () =>
        this.experiments.createExperiment(withDigest(request, '', resolved, caller), resolved),
      ),
    );
  }

  @Post('experiments/:experimentId/rename')
  @HttpCode(200)
  rename(@Param('experimentId') experimentId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command(experimentId, 'RenameExperiment', body, request, (id, valid, caller) =>
      this.experiments.renameExperiment(caller, id, valid),
    );
  }

  /** Closes the experiment to new runs; its runs stay as they are. */
  @Post('experiments/:experimentId/archive')
  @HttpCode(200)
  archive(@Param('experimentId') experimentId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command(experimentId, 'Bare', body, request, (id, valid, caller) =>
      this.experiments.archiveExperiment(caller, id, valid),
    );
  }

  /** How long the experiment's raw metric points are kept; recorded in the log like every other change. */
  @Post('experiments/:experimentId/retention')
  @HttpCode(200)
  setRetention(@Param('experimentId') experimentId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command(experimentId, 'SetRetention', body, request, (id, valid, caller) =>
      this.experiments.setRetention(caller, id, valid),
    );
  }

  /** Labels on the experiment, set or replaced per key (MLflow's experiment tags). */
  @Post('experiments/:experimentId/tags')
  @HttpCode(200)
  setTags(@Param('experimentId') experimentId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command(experimentId, 'SetTags', body, request, (id, valid, caller) =>
      this.experiments.setTags(caller, id, valid),
    );
  }

  @Post('experiments/:experimentId/tags/delete')
  @HttpCode(200)
  deleteTags(@Param('experimentId') experimentId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command(experimentId, 'DeleteTags', body, request, (id, valid, caller) =>
      this.experiments.deleteTags(caller, id, valid),
    );
  }

  @Post('experiments/:experimentId/restore')
  @HttpCode(200)
  restore(@Param('experimentId') experimentId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command(experimentId, 'Bare', body, request, (id, valid, caller) =>
      this.experiments.restoreExperiment(caller, id, valid),
    );
  }

  /** Routed by the experiment's workspace (read from its stream); an unknown id by the caller's, where it is 404. */
  private async command<K extends RequestSchemaName>(
    rawId: string,
    schema: K,
    body: unknown,
    request: Request,
    handle: (id: string, validated: RequestBodies[K], caller: Caller) => Promise<unknown>,
  ) {
    const id = runIdParam(rawId, 'experimentId');
    const validated = this.validator.validate(schema, OPTIONAL_BODIES.has(schema) ? (body ?? {}) : body);
    const workspace = (await this.experiments.workspaceOf(id)) ?? callerOf(request).workspace;
    const key = experimentsRouteKey(workspace);
    // One experiment command of a workspace at a time in its owner: a rename's claim and release never interleave.
    return this.router.route(key, request, validated, () =>
      this.lock.run(key, () => handle(id, validated, withDigest(request, id, validated))),
    );
  }
}
