import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { newEventId } from '../protocol/mlflow-ids';

/** Recorded with every promotion or deletion made through MLflow's API, which carries no reason of its own. */
export const REASON = 'through the MLflow API';

export const STAGES: Record<string, string> = {
  none: 'None',
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};

/** The native registry command on a model named in the caller's workspace: `/api/v1/models/<name><action>`. */
@Injectable()
export class RegistryCommands {
  constructor(private readonly backend: MlflowBackend) {}

  path(name: string, action: string): string {
    return `/api/v1/models/${encodeURIComponent(name)}${action}`;
  }

  async run<T extends object = object>(
    request: Request,
    name: string,
    method: 'POST' | 'DELETE',
    action: string,
    body: object,
  ): Promise<T> {
    return this.backend.write<T>(request, method, this.path(name, action), {
      eventId: newEventId(),
      ...body,
    });
  }
}
