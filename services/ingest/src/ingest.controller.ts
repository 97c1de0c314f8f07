import {
  Body,
  Controller,
  createParamDecorator,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Param,
  Post,
  Req,
  UseFilters,
  UseInterceptors,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import {
  ACCESS,
  defaultWorkspaceOf,
  principalOf,
  setRateHeaders,
  type AccessServices,
  ROUTE_PERMISSIONS,
  routeKey,
  WORKSPACE_PATTERN,
} from '../../../libs/access/src';
import { ValidationError } from '../../../libs/domain/src/errors';
import { newEventId, requestDigest } from '../../../libs/events/src/envelope';
import { ConsistencyTokenInterceptor } from './consistency/consistency-token.interceptor';
import { HttpErrorFilter } from './http-errors';
import { IngestRouter } from './ingest-router';
import type { Caller } from './commands/command-handler';
import { ExperimentsService } from './experiments/experiments.service';
import { MetricsService } from './metrics/metrics.service';
import { RunLifecycleService } from './runs/run-lifecycle.service';
import { buildOpenApiDocument } from './openapi';
import {
  OPTIONAL_BODIES,
  type LogMetricsBody,
  type RequestBodies,
  type RequestSchemaName,
} from './ingest.schemas';
import { RequestValidator } from './request-validator';

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function runIdParam(runId: string, name = 'runId'): string {
  if (!ID.test(runId)) throw new ValidationError(`"${name}" must match ${ID.source}`, name);
  return runId;
}

const WORKSPACE = new RegExp(WORKSPACE_PATTERN);
// Control characters (C0 and DEL) would make the recorded name unreadable.
// eslint-disable-next-line no-control-regex
const ON_BEHALF_OF = /^[^\u0000-\u001f\u007f]{1,128}$/;

/**
 * Who is writing: the authenticated principal is the actor of every event the request appends. `x-runlog-workspace`
 * says where something new goes (by default the principal's one workspace, else `default`); `x-runlog-actor` is
 * recorded as `onBehalfOf` for a principal allowed to act for others, and ignored for anyone else.
 */
export function callerOf(request: Request): Caller {
  const header = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value[0] : value) || undefined;
  };
  const principal = principalOf(request);
  const workspace = header('x-runlog-workspace') ?? defaultWorkspaceOf(principal);
  if (!WORKSPACE.test(workspace)) {
    throw new ValidationError(`"x-runlog-workspace" must match ${WORKSPACE_PATTERN}`, 'x-runlog-workspace');
  }
  const onBehalfOf = principal.mayActOnBehalf ? header('x-runlog-actor') : undefined;
  if (onBehalfOf !== undefined && !ON_BEHALF_OF.test(onBehalfOf)) {
    throw new ValidationError(
      '"x-runlog-actor" must be 1 to 128 characters without control characters',
      'x-runlog-actor',
    );
  }
  const route = (request.route as { path?: unknown } | undefined)?.path;
  return {
    workspace,
    actor: principal.name,
    principal,
    permission: ROUTE_PERMISSIONS[routeKey(request.method, typeof route === 'string' ? route : request.path)],
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
  };
}

export const CallerHeaders = createParamDecorator((_data: unknown, context: ExecutionContext): Caller =>
  callerOf(context.switchToHttp().getRequest<Request>()),
);

/** The caller with the digest of its request (route, target, body): what makes its eventId an idempotency key. */
export function withDigest(
  request: Request,
  target: string,
  body: object,
  caller = callerOf(request),
): Caller {
  const route = (request.route as { path?: unknown } | undefined)?.path;
  const operation = `${request.method} ${typeof route === 'string' ? route : request.path}`;
  return { ...caller, requestDigest: requestDigest(operation, target, body) };
}

/**
 * The native ingest API: decorators and one service call each; validation is the compiled schemas'. Each request is
 * routed by the run or experiment it writes: handled here when this process owns it, else by its owner.
 */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
@UseInterceptors(ConsistencyTokenInterceptor)
export class IngestController {
  private readonly validator = new RequestValidator();
  private readonly openApi = buildOpenApiDocument();

  constructor(
    private readonly experiments: ExperimentsService,
    private readonly runs: RunLifecycleService,
    private readonly metrics: MetricsService,
    private readonly router: IngestRouter,
    @Inject(ACCESS) private readonly access: AccessServices,
  ) {}

  /** Checks the path's id and the body, then handles the command here or forwards it to the stream's owner. */
  private command<K extends RequestSchemaName>(
    idName: 'runId' | 'experimentId',
    rawId: string,
    schema: K,
    body: unknown,
    request: Request,
    handle: (id: string, validated: RequestBodies[K], caller: Caller) => Promise<unknown>,
  ) {
    const id = runIdParam(rawId, idName);
    const validated = this.validator.validate(schema, OPTIONAL_BODIES.has(schema) ? (body ?? {}) : body);
    return this.router.route(id, request, validated, () =>
      handle(id, validated, withDigest(request, id, validated)),
    );
  }

  @Get('openapi.json')
  openApiDocument() {
    return this.openApi;
  }

  @Post('sweeps')
  createSweep(@Body() body: unknown, @CallerHeaders() caller: Caller, @Req() request: Request) {
    const validated = this.validator.validate('CreateSweep', body);
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    return this.router.route(resolved.sweepId ?? resolved.eventId, request, resolved, () =>
      this.experiments.createSweep(withDigest(request, '', resolved, caller), resolved),
    );
  }

  @Post('runs')
  createRun(@Body() body: unknown, @CallerHeaders() caller: Caller, @Req() request: Request) {
    const validated = this.validator.validate('CreateRun', body);
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    return this.router.route(resolved.runId ?? resolved.eventId, request, resolved, () =>
      this.runs.createRun(withDigest(request, '', resolved, caller), resolved),
    );
  }

  /** Starts a queued run, optionally with the context of the machine that picked it up. */
  @Post('runs/:runId/start')
  @HttpCode(200)
  startRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'StartRun', body, request, (id, valid, caller) =>
      this.runs.startRun(caller, id, valid),
    );
  }

  @Post('runs/:runId/rename')
  @HttpCode(200)
  renameRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'RenameRun', body, request, (id, valid, caller) =>
      this.runs.renameRun(caller, id, valid),
    );
  }

  /** Soft delete: the run leaves listings and takes no writes until restored; the log keeps everything. */
  @Delete('runs/:runId')
  @HttpCode(200)
  deleteRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'Bare', body, request, (id, valid, caller) =>
      this.runs.deleteRun(caller, id, valid),
    );
  }

  @Post('runs/:runId/restore')
  @HttpCode(200)
  restoreRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'Bare', body, request, (id, valid, caller) =>
      this.runs.restoreRun(caller, id, valid),
    );
  }

  @Post('runs/:runId/note')
  @HttpCode(200)
  setNote(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'SetNote', body, request, (id, valid, caller) =>
      this.runs.setNote(caller, id, valid),
    );
  }

  /** Datasets the run read (lineage). */
  @Post('runs/:runId/inputs')
  @HttpCode(200)
  logInputs(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'LogInputs', body, request, (id, valid, caller) =>
      this.runs.logInputs(caller, id, valid),
    );
  }

  /** The client is alive; records nothing unless the run had been marked stale. */
  @Post('runs/:runId/heartbeat')
  @HttpCode(200)
  heartbeat(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'Bare', body, request, (id, valid, caller) =>
      this.runs.heartbeat(caller, id, valid),
    );
  }

  @Post('runs/:runId/params')
  @HttpCode(200)
  logParams(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'LogParams', body, request, (id, valid, caller) =>
      this.runs.logParams(caller, id, valid),
    );
  }

  @Post('runs/:runId/tags')
  @HttpCode(200)
  setTags(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'SetTags', body, request, (id, valid, caller) =>
      this.runs.setTags(caller, id, valid),
    );
  }

  /** Tags a run no longer has; allowed after the run ended, like setting them. */
  @Post('runs/:runId/tags/delete')
  @HttpCode(200)
  deleteTags(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'DeleteTags', body, request, (id, valid, caller) =>
      this.runs.deleteTags(caller, id, valid),
    );
  }

  @Post('runs/:runId/metrics')
  @HttpCode(200)
  logMetrics(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'LogMetrics', body, request, async (id, valid, caller) => {
      // Taken where the batch is handled (its run's owner), so a forwarded batch counts once.
      await this.takePoints(request, valid);
      return this.metrics.logMetrics(caller, id, valid);
    });
  }

  /** A token's point rate: 429 + Retry-After past it, 413 for a batch bigger than the whole burst. */
  private async takePoints(request: Request, body: LogMetricsBody): Promise<void> {
    const points = body.metrics.reduce((sum, series) => sum + series.steps.length, 0);
    const decision = await this.access.rateLimits.takePoints(principalOf(request), points);
    if (request.res) setRateHeaders(request.res, decision);
    if (!decision.allowed) throw new HttpException(decision.body, decision.status);
  }

  @Post('runs/:runId/finish')
  @HttpCode(200)
  finishRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'FinishRun', body, request, (id, valid, caller) =>
      this.runs.finishRun(caller, id, valid),
    );
  }

  @Post('runs/:runId/fail')
  @HttpCode(200)
  failRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'FailRun', body, request, (id, valid, caller) =>
      this.runs.failRun(caller, id, valid),
    );
  }

  @Post('runs/:runId/kill')
  @HttpCode(200)
  killRun(@Param('runId') runId: string, @Body() body: unknown, @Req() request: Request) {
    return this.command('runId', runId, 'KillRun', body, request, (id, valid, caller) =>
      this.runs.killRun(caller, id, valid),
    );
  }
}
