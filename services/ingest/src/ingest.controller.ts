import {
  Body,
  Controller,
  createParamDecorator,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  UseFilters,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { ValidationError } from '../../../libs/domain/src/errors';
import { newEventId } from '../../../libs/events/src/envelope';
import { HttpErrorFilter } from './http-errors';
import { IngestRouter } from './ingest-router';
import { IngestService, type Caller } from './ingest.service';
import { buildOpenApiDocument } from './openapi';
import { RequestValidator } from './request-validator';

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function runIdParam(runId: string, name = 'runId'): string {
  if (!ID.test(runId)) throw new ValidationError(`"${name}" must match ${ID.source}`, name);
  return runId;
}

/** Who is writing, from `x-runlog-workspace` and `x-runlog-actor`: stamped on every event the request appends. */
export const CallerHeaders = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const headers = context.switchToHttp().getRequest<Request>().headers;
  const header = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value) || undefined;
  };
  return {
    workspace: header('x-runlog-workspace') ?? 'default',
    actor: header('x-runlog-actor') ?? 'anonymous',
  };
});

/**
 * The native ingest API: decorators and one service call each; validation is the compiled schemas'. Each request is
 * routed by the run or experiment it writes: handled here when this process owns it, else by its owner.
 */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
export class IngestController {
  private readonly validator = new RequestValidator();
  private readonly openApi = buildOpenApiDocument();

  constructor(
    private readonly ingest: IngestService,
    private readonly router: IngestRouter,
  ) {}

  @Get('openapi.json')
  openApiDocument() {
    return this.openApi;
  }

  @Post('experiments')
  createExperiment(@Body() body: unknown, @CallerHeaders() caller: Caller, @Req() request: Request) {
    // The ids are settled before routing: the owner is chosen by the id, and a forwarded create must make it.
    const validated = this.validator.validate('CreateExperiment', body);
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    return this.router.route(resolved.experimentId ?? resolved.eventId, request, resolved, () =>
      this.ingest.createExperiment(caller, resolved),
    );
  }

  @Post('experiments/:experimentId/rename')
  @HttpCode(200)
  renameExperiment(
    @Param('experimentId') experimentId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(experimentId, 'experimentId');
    const validated = this.validator.validate('RenameExperiment', body);
    return this.router.route(id, request, validated, () =>
      this.ingest.renameExperiment(caller, id, validated),
    );
  }

  /** Closes the experiment to new runs; its runs stay as they are. */
  @Post('experiments/:experimentId/archive')
  @HttpCode(200)
  archiveExperiment(
    @Param('experimentId') experimentId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(experimentId, 'experimentId');
    const validated = this.validator.validate('Bare', body ?? {});
    return this.router.route(id, request, validated, () =>
      this.ingest.archiveExperiment(caller, id, validated),
    );
  }

  @Post('experiments/:experimentId/restore')
  @HttpCode(200)
  restoreExperiment(
    @Param('experimentId') experimentId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(experimentId, 'experimentId');
    const validated = this.validator.validate('Bare', body ?? {});
    return this.router.route(id, request, validated, () =>
      this.ingest.restoreExperiment(caller, id, validated),
    );
  }

  @Post('sweeps')
  createSweep(@Body() body: unknown, @CallerHeaders() caller: Caller, @Req() request: Request) {
    const validated = this.validator.validate('CreateSweep', body);
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    return this.router.route(resolved.sweepId ?? resolved.eventId, request, resolved, () =>
      this.ingest.createSweep(caller, resolved),
    );
  }

  @Post('runs')
  createRun(@Body() body: unknown, @CallerHeaders() caller: Caller, @Req() request: Request) {
    const validated = this.validator.validate('CreateRun', body);
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    return this.router.route(resolved.runId ?? resolved.eventId, request, resolved, () =>
      this.ingest.createRun(caller, resolved),
    );
  }

  /** Starts a queued run, optionally with the context of the machine that picked it up. */
  @Post('runs/:runId/start')
  @HttpCode(200)
  startRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('StartRun', body ?? {});
    return this.router.route(id, request, validated, () => this.ingest.startRun(caller, id, validated));
  }

  @Post('runs/:runId/rename')
  @HttpCode(200)
  renameRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('RenameRun', body);
    return this.router.route(id, request, validated, () => this.ingest.renameRun(caller, id, validated));
  }

  /** Soft delete: the run leaves listings and takes no writes until restored; the log keeps everything. */
  @Delete('runs/:runId')
  @HttpCode(200)
  deleteRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('Bare', body ?? {});
    return this.router.route(id, request, validated, () => this.ingest.deleteRun(caller, id, validated));
  }

  @Post('runs/:runId/restore')
  @HttpCode(200)
  restoreRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('Bare', body ?? {});
    return this.router.route(id, request, validated, () => this.ingest.restoreRun(caller, id, validated));
  }

  @Post('runs/:runId/note')
  @HttpCode(200)
  setNote(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('SetNote', body);
    return this.router.route(id, request, validated, () => this.ingest.setNote(caller, id, validated));
  }

  /** Datasets the run read (lineage). */
  @Post('runs/:runId/inputs')
  @HttpCode(200)
  logInputs(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('LogInputs', body);
    return this.router.route(id, request, validated, () => this.ingest.logInputs(caller, id, validated));
  }

  /** The client is alive; records nothing unless the run had been marked stale. */
  @Post('runs/:runId/heartbeat')
  @HttpCode(200)
  heartbeat(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('Bare', body ?? {});
    return this.router.route(id, request, validated, () => this.ingest.heartbeat(caller, id, validated));
  }

  @Post('runs/:runId/params')
  @HttpCode(200)
  logParams(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('LogParams', body);
    return this.router.route(id, request, validated, () => this.ingest.logParams(caller, id, validated));
  }

  @Post('runs/:runId/tags')
  @HttpCode(200)
  setTags(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('SetTags', body);
    return this.router.route(id, request, validated, () => this.ingest.setTags(caller, id, validated));
  }

  /** Tags a run no longer has; allowed after the run ended, like setting them. */
  @Post('runs/:runId/tags/delete')
  @HttpCode(200)
  deleteTags(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('DeleteTags', body);
    return this.router.route(id, request, validated, () => this.ingest.deleteTags(caller, id, validated));
  }

  @Post('runs/:runId/metrics')
  @HttpCode(200)
  logMetrics(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('LogMetrics', body);
    return this.router.route(id, request, validated, () => this.ingest.logMetrics(caller, id, validated));
  }

  @Post('runs/:runId/finish')
  @HttpCode(200)
  finishRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('FinishRun', body ?? {});
    return this.router.route(id, request, validated, () => this.ingest.finishRun(caller, id, validated));
  }

  @Post('runs/:runId/fail')
  @HttpCode(200)
  failRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('FailRun', body);
    return this.router.route(id, request, validated, () => this.ingest.failRun(caller, id, validated));
  }

  @Post('runs/:runId/kill')
  @HttpCode(200)
  killRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @CallerHeaders() caller: Caller,
    @Req() request: Request,
  ) {
    const id = runIdParam(runId);
    const validated = this.validator.validate('KillRun', body ?? {});
    return this.router.route(id, request, validated, () => this.ingest.killRun(caller, id, validated));
  }
}
