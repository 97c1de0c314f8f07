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
import type { ModelCommand } from '../../../../libs/domain/src/model/model.decider';
import { ConsistencyTokenInterceptor } from '../consistency/consistency-token.interceptor';
import { HttpErrorFilter } from '../http-errors';
import { modelNameParam, RegistryRequests, versionParam } from './registry-requests';
import type { RegistryBodies } from './registry.schemas';
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
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    return this.onVersion('TransitionStage', name, version, body, request, (valid, number) => ({
      type: 'TransitionStage',
      data: {
        version: number,
        stage: valid.stage,
        replaces: valid.replaces,
        reason: valid.reason,
        approvalId: valid.approvalId,
      },
    }));
  }

  @Post(':name/versions/:version/tags')
  @HttpCode(200)
  setTags(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    return this.onVersion('SetVersionTags', name, version, body, request, (valid, number) => ({
      type: 'SetVersionTags',
      data: { version: number, tags: valid.tags },
    }));
  }

  @Post(':name/versions/:version/tags/delete')
  @HttpCode(200)
  deleteTags(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    return this.onVersion('DeleteVersionTags', name, version, body, request, (valid, number) => ({
      type: 'DeleteVersionTags',
      data: { version: number, keys: valid.keys },
    }));
  }

  @Post(':name/versions/:version/description')
  @HttpCode(200)
  describe(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    return this.onVersion('DescribeVersion', name, version, body, request, (valid, number) => ({
      type: 'DescribeVersion',
      data: { version: number, description: valid.description },
    }));
  }

  @Delete(':name/versions/:version')
  @HttpCode(200)
  delete(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: Request,
  ) {
    return this.onVersion('DeleteVersion', name, version, body, request, (valid, number) => ({
      type: 'DeleteVersion',
      data: { version: number, reason: valid.reason },
    }));
  }

  /** A command on one version of the named model: both path parameters checked, the command made from the body. */
  private onVersion<K extends keyof RegistryBodies>(
    schema: K,
    name: string,
    rawVersion: string,
    body: unknown,
    request: Request,
    command: (valid: RegistryBodies[K], version: number) => ModelCommand,
  ) {
    const model = modelNameParam(name);
    const version = versionParam(rawVersion);
    return this.requests.handle(schema, body, request, `${model}/${version}`, (valid, caller) =>
      this.registry.command(caller, model, valid, command(valid, version)),
    );
  }
}
