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
import { HttpErrorFilter } from '../http-errors';
import { modelNameParam, RegistryRequests, versionParam } from './registry-requests';
import { RegistryService } from './registry.service';

/**
 * A model's versions: registered from a run's artifact, moved between stages, tagged, described, deleted. Each is
 * a command on the model's stream, so a version's edits are ordered with its promotions.
 */
@Controller('api/v1/models')
@UseFilters(HttpErrorFilter)
@UseInterceptors(ConsistencyTokenInterceptor)
export class ModelVersionsController {
  constructor(
    private readonly registry: RegistryService,
    private readonly requests: RegistryRequests,
  ) {}

  @Post(':name/versions')
  register(@Param('name') name: string, @Body() body: unknown, @Req() request: Request) {
    const model = modelNameParam(name);
    return this.requests.handle('RegisterModelVersion', body, request, model, (valid, caller) =>
      this.registry.registerVersion(caller, model, valid),
    );
  }

  @Post(':name/versions/:version/stage')
  @HttpCode(200)
  transitionStage(
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.requests.handle('TransitionStage', body, request, `${model}/${version}`, (valid, caller) =>
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

  @Post(':name/versions/:version/tags')
  @HttpCode(200)
  setTags(
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.requests.handle('SetVersionTags', body, request, `${model}/${version}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'SetVersionTags',
        data: { version, tags: valid.tags },
      }),
    );
  }

  @Post(':name/versions/:version/tags/delete')
  @HttpCode(200)
  deleteTags(
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.requests.handle('DeleteVersionTags', body, request, `${model}/${version}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'DeleteVersionTags',
        data: { version, keys: valid.keys },
      }),
    );
  }

  @Post(':name/versions/:version/description')
  @HttpCode(200)
  describe(
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.requests.handle('DescribeVersion', body, request, `${model}/${version}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'DescribeVersion',
        data: { version, description: valid.description },
      }),
    );
  }

  @Delete(':name/versions/:version')
  @HttpCode(200)
  delete(
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.requests.handle('DeleteVersion', body, request, `${model}/${version}`, (valid, caller) =>
      this.registry.command(caller, model, valid, {
        type: 'DeleteVersion',
        data: { version, reason: valid.reason },
      }),
    );
  }
}
