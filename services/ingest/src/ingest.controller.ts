import { Body, Controller, Get, Headers, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { ValidationError } from '../../../libs/domain/src/errors';
import { HttpErrorFilter } from './http-errors';
import { IngestService, type Caller } from './ingest.service';
import { buildOpenApiDocument } from './openapi';
import { RequestValidator } from './request-validator';

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function runIdParam(runId: string): string {
  if (!ID.test(runId)) throw new ValidationError(`"runId" must match ${ID.source}`, 'runId');
  return runId;
}

function caller(workspace: string | undefined, actor: string | undefined): Caller {
  return { workspace: workspace || 'default', actor: actor || 'anonymous' };
}

/** The native ingest API: decorators and one service call each; validation is the compiled schemas'. */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
export class IngestController {
  private readonly validator = new RequestValidator();
  private readonly openApi = buildOpenApiDocument();

  constructor(private readonly ingest: IngestService) {}

  @Get('openapi.json')
  openApiDocument() {
    return this.openApi;
  }

  @Post('experiments')
  createExperiment(
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    return this.ingest.createExperiment(
      caller(workspace, actor),
      this.validator.validate('CreateExperiment', body),
    );
  }

  @Post('runs')
  createRun(
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    return this.ingest.createRun(caller(workspace, actor), this.validator.validate('CreateRun', body));
  }

  @Post('runs/:runId/params')
  @HttpCode(200)
  logParams(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    const id = runIdParam(runId);
    return this.ingest.logParams(caller(workspace, actor), id, this.validator.validate('LogParams', body));
  }

  @Post('runs/:runId/tags')
  @HttpCode(200)
  setTags(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    const id = runIdParam(runId);
    return this.ingest.setTags(caller(workspace, actor), id, this.validator.validate('SetTags', body));
  }

  @Post('runs/:runId/metrics')
  @HttpCode(200)
  logMetrics(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    const id = runIdParam(runId);
    return this.ingest.logMetrics(caller(workspace, actor), id, this.validator.validate('LogMetrics', body));
  }

  @Post('runs/:runId/finish')
  @HttpCode(200)
  finishRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    const id = runIdParam(runId);
    return this.ingest.finishRun(
      caller(workspace, actor),
      id,
      this.validator.validate('FinishRun', body ?? {}),
    );
  }

  @Post('runs/:runId/fail')
  @HttpCode(200)
  failRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    const id = runIdParam(runId);
    return this.ingest.failRun(caller(workspace, actor), id, this.validator.validate('FailRun', body));
  }

  @Post('runs/:runId/kill')
  @HttpCode(200)
  killRun(
    @Param('runId') runId: string,
    @Body() body: unknown,
    @Headers('x-runlog-workspace') workspace?: string,
    @Headers('x-runlog-actor') actor?: string,
  ) {
    const id = runIdParam(runId);
    return this.ingest.killRun(caller(workspace, actor), id, this.validator.validate('KillRun', body ?? {}));
  }
}
