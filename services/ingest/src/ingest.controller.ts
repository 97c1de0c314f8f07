import {
  Body,
  Controller,
  createParamDecorator,
  Get,
  HttpCode,
  Param,
  Post,
  UseFilters,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
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

/** Who is writing, from `x-runlog-workspace` and `x-runlog-actor`: stamped on every event the request appends. */
const CallerHeaders = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
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
  createExperiment(@Body() body: unknown, @CallerHeaders() caller: Caller) {
    return this.ingest.createExperiment(caller, this.validator.validate('CreateExperiment', body));
  }

  @Post('runs')
  createRun(@Body() body: unknown, @CallerHeaders() caller: Caller) {
    return this.ingest.createRun(caller, this.validator.validate('CreateRun', body));
  }

  @Post('runs/:runId/params')
  @HttpCode(200)
  logParams(@Param('runId') runId: string, @Body() body: unknown, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    return this.ingest.logParams(caller, id, this.validator.validate('LogParams', body));
  }

  @Post('runs/:runId/tags')
  @HttpCode(200)
  setTags(@Param('runId') runId: string, @Body() body: unknown, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    return this.ingest.setTags(caller, id, this.validator.validate('SetTags', body));
  }

  @Post('runs/:runId/metrics')
  @HttpCode(200)
  logMetrics(@Param('runId') runId: string, @Body() body: unknown, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    return this.ingest.logMetrics(caller, id, this.validator.validate('LogMetrics', body));
  }

  @Post('runs/:runId/finish')
  @HttpCode(200)
  finishRun(@Param('runId') runId: string, @Body() body: unknown, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    return this.ingest.finishRun(caller, id, this.validator.validate('FinishRun', body ?? {}));
  }

  @Post('runs/:runId/fail')
  @HttpCode(200)
  failRun(@Param('runId') runId: string, @Body() body: unknown, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    return this.ingest.failRun(caller, id, this.validator.validate('FailRun', body));
  }

  @Post('runs/:runId/kill')
  @HttpCode(200)
  killRun(@Param('runId') runId: string, @Body() body: unknown, @CallerHeaders() caller: Caller) {
    const id = runIdParam(runId);
    return this.ingest.killRun(caller, id, this.validator.validate('KillRun', body ?? {}));
  }
}
