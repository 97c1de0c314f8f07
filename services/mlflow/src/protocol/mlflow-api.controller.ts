import { Controller, Delete, Get, Header, Inject, Patch, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MlflowError } from './mlflow-error';
import { MlflowExceptionFilter } from './mlflow-exception.filter';
import { MlflowFields } from './mlflow-fields';
import type { MlflowEndpoint, MlflowEndpoints, MlflowMethod } from './mlflow-endpoint';

export const MLFLOW_ENDPOINTS = Symbol('MLFLOW_ENDPOINTS');

/** The MLflow version whose REST API this dialect follows (the client the tests drive is pinned to it). */
export const MLFLOW_API_VERSION = '3.18.0';

const PATHS = ['api/2.0/mlflow/*path', 'ajax-api/2.0/mlflow/*path'];

function decodedSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `${JSON.stringify(raw.slice(0, 200))} is not valid percent-encoded UTF-8`,
    );
  }
}

interface Route {
  endpoint: MlflowEndpoint;
  pattern: RegExp;
  names: string[];
}

function routeOf(endpoint: MlflowEndpoint): Route {
  const names: string[] = [];
  const source = endpoint.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { endpoint, pattern: new RegExp(`^${source}$`), names };
}

/**
 * MLflow's REST API under /api/2.0/mlflow (and /ajax-api/2.0/mlflow, the UI's mirror): one route that dispatches
 * on MLflow's own table of endpoints, as its server does. An endpoint the table lacks is 404 ENDPOINT_NOT_FOUND,
 * which MLflow's clients take as "this server does not have it" and fall back where they can.
 */
@Controller()
@UseFilters(MlflowExceptionFilter)
export class MlflowApiController {
  private readonly routes: Route[];

  constructor(@Inject(MLFLOW_ENDPOINTS) areas: MlflowEndpoints[]) {
    this.routes = areas.flatMap((area) => area.endpoints()).map(routeOf);
  }

  // One handler per method the endpoints use: the permissions table keys routes by method.
  @Get(PATHS)
  get(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.dispatch(request, response);
  }

  @Post(PATHS)
  post(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.dispatch(request, response);
  }

  @Patch(PATHS)
  patch(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.dispatch(request, response);
  }

  @Delete(PATHS)
  delete(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.dispatch(request, response);
  }

  private async dispatch(request: Request, response: Response): Promise<void> {
    const path = request.path.replace(/^\/(?:ajax-)?api\/2\.0\/mlflow\//i, '');
    const method = request.method as MlflowMethod;
    for (const { endpoint, pattern, names } of this.routes) {
      const match = pattern.exec(path);
      if (!match || !endpoint.methods.includes(method)) continue;
      const params = Object.fromEntries(names.map((name, index) => [name, decodedSegment(match[index + 1])]));
      const answer = await endpoint.handle({ fields: MlflowFields.of(request), request, response, params });
      if (answer !== undefined) response.status(200).json(answer);
      return;
    }
    throw new MlflowError('ENDPOINT_NOT_FOUND', `No API endpoint ${method} /api/2.0/mlflow/${path}`);
  }

  /** Probed by newer clients when a workspace is set: Runlog's workspaces are not MLflow's. */
  @Get('api/3.0/mlflow/server-info')
  serverInfo(): object {
    return { workspaces_enabled: false };
  }

  @Get('health')
  @Header('content-type', 'text/plain; charset=utf-8')
  health(): string {
    return 'OK';
  }

  @Get('version')
  @Header('content-type', 'text/plain; charset=utf-8')
  version(): string {
    return MLFLOW_API_VERSION;
  }
}
