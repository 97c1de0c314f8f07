import {
  Body,
  Controller,
  Delete,
  HttpCode,
  Param,
  Post,
  Req,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common';
import type { Request } from 'express';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { ALIAS_PATTERN, modelNameSchema } from '../../../../libs/events/src/event-schemas';
import { newEventId } from '../../../../libs/events/src/envelope';
import { ConsistencyTokenInterceptor } from '../consistency/consistency-token.interceptor';
import { requirePermissionWhereAsked, userOf, type Caller } from '../commands/command-handler';
import { KeyedLock } from '../commands/keyed-lock';
import { HttpErrorFilter } from '../http-errors';
import { IngestRouter } from '../ingest-router';
import { callerOf, withDigest } from '../ingest.controller';
import { SchemaValidator } from '../request-validator';
import { REGISTRY_PATH_PARAMETERS, REGISTRY_SCHEMAS, type RegistryBodies } from './registry.schemas';
import { registryRouteKey, RegistryService } from './registry.service';

const NAME = new RegExp(modelNameSchema.pattern, 'u');

function modelNameParam(raw: string): string {
  if (raw.length === 0 || raw.length > modelNameSchema.maxLength || !NAME.test(raw)) {
    throw new ValidationError(
      'the model name in the path must be 1 to 256 characters, without control characters or outer spaces',
      'name',
    );
  }
  return raw;
}

const ALIAS = new RegExp(REGISTRY_PATH_PARAMETERS.alias.pattern);
const UUID = new RegExp(REGISTRY_PATH_PARAMETERS.approvalId.pattern);

function aliasParam(raw: string): string {
  if (!ALIAS.test(raw))
    throw new ValidationError(`the alias in the path must match ${ALIAS_PATTERN}`, 'alias');
  return raw;
}

function approvalIdParam(raw: string): string {
  const id = raw.toLowerCase();
  if (!UUID.test(id)) throw new ValidationError('the approval id in the path must be a UUID', 'approvalId');
  return id;
}

const VERSION = new RegExp(REGISTRY_PATH_PARAMETERS.version.pattern);

function versionParam(raw: string): number {
  if (!VERSION.test(raw) || Number(raw) > 1_000_000_000) {
    throw new ValidationError('the version in the path must be an integer from 1', 'version');
  }
  return Number(raw);
}

/**
 * The model registry's commands. Each request is validated here, then handled by the ingest process that owns the
 * workspace's registry (forwarded to it when that is another one), so each model has one writer. The GraphQL
 * mutations of the gateway call these routes: there is one command path.
 */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
@UseInterceptors(ConsistencyTokenInterceptor)
export class RegistryController {
  private readonly validator = new SchemaValidator<RegistryBodies>(REGISTRY_SCHEMAS);
  private readonly lock = new KeyedLock();

  constructor(
    private readonly registry: RegistryService,
    private readonly router: IngestRouter,
  ) {}

  private handle<K extends keyof RegistryBodies>(
    schema: K,
    body: unknown,
    request: Request,
    target: string,
    run: (valid: RegistryBodies[K] & { eventId: string }, caller: Caller) => Promise<unknown>,
  ) {
    const validated = this.validator.validate(schema, body ?? {});
    // The id is settled before routing, so a forwarded command and its retries carry the same one.
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    const caller = callerOf(request);
    // Names are looked up in the workspace the request names: only where the caller holds the permission.
    requirePermissionWhereAsked(caller);
    const key = registryRouteKey(caller.workspace);
    // One command of a workspace's registry at a time in its owner: a command's steps (claim, create, release)
    // never interleave with another's.
    return this.router.route(key, request, resolved, () =>
      this.lock.run(key, () => run(resolved, withDigest(request, target, resolved, caller))),
    );
  }

  @Post('models')
  create(@Body() body: unknown, @Req() request: Request) {
    return this.handle('CreateModel', body, request, '', (valid, caller) =>
      this.registry.createModel(caller, valid),
    );
  }

  @Post('models/:name/rename')
  @HttpCode(200)
  rename(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('RenameModel', body, request, model, (valid, caller) =>
      this.registry.renameModel(caller, model, valid),
    );
  }

  @Post('models/:name/description')
  @HttpCode(200)
  describe(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('DescribeModel', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'DescribeModel',
        data: { description: valid.description },
      }),
    );
  }

  @Post('models/:name/tags')
  @HttpCode(200)
  setTags(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('SetModelTags', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, { type: 'SetModelTags', data: { tags: valid.tags } }),
    );
  }

  @Post('models/:name/tags/delete')
  @HttpCode(200)
  deleteTags(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('DeleteModelTags', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, { type: 'DeleteModelTags', data: { keys: valid.keys } }),
    );
  }

  @Delete('models/:name')
  @HttpCode(200)
  delete(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('DeleteModel', body, request, model, (valid, caller) =>
      this.registry.deleteModel(caller, model, valid),
    );
  }

  @Post('models/:name/policy')
  @HttpCode(200)
  setPolicy(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('SetApprovalPolicy', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'SetApprovalPolicy',
        data: valid.approvalRequired,
      }),
    );
  }

  @Post('models/:name/versions')
  registerVersion(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('RegisterModelVersion', body, request, model, (valid, caller) =>
      this.registry.registerVersion(caller, model, valid),
    );
  }

  @Post('models/:name/versions/:version/stage')
  @HttpCode(200)
  transitionStage(
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.handle('TransitionStage', body, request, `${model}/${version}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'TransitionStage',
        data: {
          version,
          stage: valid.stage,
          replaces: valid.replaces,
          reason: valid.reason,
          approvalId: valid.approvalId,
        },
      }),
    );
  }

  @Post('models/:name/aliases')
  @HttpCode(200)
  setAlias(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('SetAlias', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'SetAlias',
        data: {
          alias: valid.alias,
          version: valid.version,
          replaces: valid.replaces,
          reason: valid.reason,
          approvalId: valid.approvalId,
        },
      }),
    );
  }

  @Post('models/:name/aliases/:alias/delete')
  @HttpCode(200)
  deleteAlias(
    @Param('name') name: string,
    @Param('alias') alias: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const target = aliasParam(alias);
    return this.handle('DeleteAlias', body, request, `${model}/${target}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'DeleteAlias',
        data: { alias: target, reason: valid.reason },
      }),
    );
  }

  @Post('models/:name/approvals')
  requestApproval(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.handle('RequestApproval', body, request, model, (valid, caller) =>
      this.registry.requestApproval(caller, model, valid),
    );
  }

  @Post('models/:name/approvals/:approvalId/approve')
  @HttpCode(200)
  approve(
    @Param('name') name: string,
    @Param('approvalId') rawApprovalId: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const approvalId = approvalIdParam(rawApprovalId);
    return this.handle('DecideApproval', body, request, `${model}/${approvalId}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'ApproveRequest',
        data: { approvalId, comment: valid.comment, actor: userOf(caller) },
      }),
    );
  }

  @Post('models/:name/approvals/:approvalId/reject')
  @HttpCode(200)
  reject(
    @Param('name') name: string,
    @Param('approvalId') rawApprovalId: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const approvalId = approvalIdParam(rawApprovalId);
    return this.handle('DecideApproval', body, request, `${model}/${approvalId}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'RejectRequest',
        data: { approvalId, comment: valid.comment, actor: userOf(caller) },
      }),
    );
  }
}
