import { Inject, Injectable } from '@nestjs/common';
import type { LiveModelState } from '../../../../libs/domain/src/model/model.state';
import { callIngest, INGEST_ENDPOINT, type IngestEndpoint } from '../../../../libs/ingest-client/src';
import { toRegisteredModel } from './model-view';
import type { RegistryCommandResult } from './registry.models';

export type GraphqlRequest = { headers: Record<string, string | string[] | undefined> };

interface IngestAnswer {
  workspace: string;
  eventIds: string[];
  appended: boolean;
  model: LiveModelState;
  approvalId?: string;
  consistencyToken?: string;
}

export const enc = encodeURIComponent;

/** A registry mutation is the ingest API's command, sent as the caller to the ingest route that decides it. */
@Injectable()
export class RegistryCommands {
  constructor(@Inject(INGEST_ENDPOINT) private readonly ingest: IngestEndpoint) {}

  async send(
    request: GraphqlRequest,
    workspace: string | undefined | null,
    method: 'POST' | 'DELETE',
    path: string,
    body: Record<string, unknown>,
  ): Promise<RegistryCommandResult> {
    // GraphQL's absent arguments are left out, so the ingest schema sees exactly what was given.
    const given = Object.fromEntries(
      Object.entries(body).filter(([, value]) => value !== undefined && value !== null),
    );
    if ('replaces' in body && body.replaces === null) given.replaces = null;
    const answer = await callIngest<IngestAnswer>(this.ingest, {
      method,
      path: `/api/v1/models${path}`,
      body: given,
      request,
      ...(workspace ? { workspace } : {}),
    });
    return {
      model: toRegisteredModel(answer.model, answer.workspace),
      eventIds: answer.eventIds,
      appended: answer.appended,
      approvalId: answer.approvalId ?? null,
      consistencyToken: answer.consistencyToken ?? null,
    };
  }
}
