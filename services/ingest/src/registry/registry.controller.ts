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
import { ConsistencyTokenInterceptor } from '../consistency/consistency-token.interceptor';
import { userOf } from '../commands/command-handler';
import { HttpErrorFilter } from '../http-errors';
import { aliasParam, approvalIdParam, modelNameParam, RegistryRequests } from './registry-requests';
import { RegistryService } from './registry.service';

/**
 * The model registry's commands on a model, its aliases and approvals (a version's own are
 * ModelVersionsController's). The GraphQL mutations of the gateway call these routes: there is one command path.
 */
@Controller('api/v1')
@UseFilters(HttpErrorFilter)
@UseInterceptors(ConsistencyTokenInterceptor)
export class RegistryController {
  constructor(
    private readonly registry: RegistryService,
    private readonly requests: RegistryRequests,
  ) {}

  @Post('models')
  create(@Body() body: unknown, @Req() request: Request) {
    return this.requests.handle('CreateModel', body, request, '', (valid, caller) =>
      this.registry.createModel(caller, valid),
    );
  }

  @Post('models/:name/rename')
  @HttpCode(200)
  rename(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('RenameModel', body, request, model, (valid, caller) =>
      this.registry.renameModel(caller, model, valid),
    );
  }

  @Post('models/:name/description')
  @HttpCode(200)
  describe(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('DescribeModel', body, request, model, (valid, caller) =>
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
    return this.requests.handle('SetModelTags', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, { type: 'SetModelTags', data: { tags: valid.tags } }),
    );
  }

  @Post('models/:name/tags/delete')
  @HttpCode(200)
  deleteTags(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('DeleteModelTags', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, { type: 'DeleteModelTags', data: { keys: valid.keys } }),
    );
  }

  @Delete('models/:name')
  @HttpCode(200)
  delete(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('DeleteModel', body, request, model, (valid, caller) =>
      this.registry.deleteModel(caller, model, valid),
    );
  }

  @Post('models/:name/policy')
  @HttpCode(200)
  setPolicy(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('SetApprovalPolicy', body, request, model, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'SetApprovalPolicy',
        data: valid.approvalRequired,
      }),
    );
  }

  @Post('models/:name/aliases')
  @HttpCode(200)
  setAlias(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('SetAlias', body, request, model, (valid, caller) =>
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
    return this.requests.handle('DeleteAlias', body, request, `${model}/${target}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'DeleteAlias',
        data: { alias: target, reason: valid.reason },
      }),
    );
  }

  @Post('models/:name/approvals')
  requestApproval(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('RequestApproval', body, request, model, (valid, caller) =>
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
    return this.requests.handle('DecideApproval', body, request, `${model}/${approvalId}`, (valid, caller) =>
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
    return this.requests.handle('DecideApproval', body, request, `${model}/${approvalId}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'RejectRequest',
        data: { approvalId, comment: valid.comment, actor: userOf(caller) },
      }),
    );
  }
}
