import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { endpointAt, type MlflowEndpoint, type MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid, MlflowError } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';
import { newEventId } from '../protocol/mlflow-ids';
import { checkKey } from '../runs/batch-limits';
import { REASON, RegistryCommands, STAGES } from './registry-commands';
import { RegistryReads } from './registry-reads';
import { page, registryFilter } from './registry-search';

/**
 * MLflow's model registry onto Runlog's: every change is the native registry command, so a promotion made through
 * MLflow is linearized per model and audited like any other. MLflow sets an alias or a stage unconditionally;
 * Runlog's promotions name the holder they replace, so the dialect names the one it read (a promotion racing it in
 * between is refused, 409 RESOURCE_CONFLICT, and the client may retry).
 */
@Injectable()
export class RegistryEndpoints implements MlflowEndpoints {
  constructor(
    private readonly backend: MlflowBackend,
    private readonly reads: RegistryReads,
    private readonly commands: RegistryCommands,
  ) {}

  endpoints(): MlflowEndpoint[] {
    const at = endpointAt;
    return [
      at(['POST'], 'registered-models/create', (fields, request) => this.create(fields, request)),
      at(['GET'], 'registered-models/get', async (fields, request) => ({
        registered_model: await this.reads.modelJson(
          await this.reads.model(request, fields.required('name')),
        ),
      })),
      at(['GET', 'POST'], 'registered-models/search', async (fields, request) => {
        const matches = registryFilter(fields.string('filter'), ['name']);
        const models = (await this.reads.all(request)).filter(
          (model) =>
            model.status === 'active' && matches({ attributes: { name: model.name }, tags: model.tags }),
        );
        const { items, next } = page(models, fields, 100, 1000);
        return {
          registered_models: await this.reads.modelsJson(items),
          ...next,
        };
      }),
      at(['POST'], 'registered-models/rename', (fields, request) =>
        this.command(request, fields.required('name'), 'POST', '/rename', {
          name: fields.required('new_name'),
        }).then(async () => ({
          registered_model: await this.reads.modelJson(
            await this.reads.model(request, fields.required('new_name')),
          ),
        })),
      ),
      at(['PATCH'], 'registered-models/update', async (fields, request) => {
        const name = fields.required('name');
        const description = fields.string('description');
        if (description !== undefined)
          await this.command(request, name, 'POST', '/description', { description });
        return { registered_model: await this.reads.modelJson(await this.reads.model(request, name)) };
      }),
      at(['DELETE'], 'registered-models/delete', (fields, request) =>
        this.command(request, fields.required('name'), 'DELETE', '', { reason: REASON }),
      ),
      at(['POST'], 'registered-models/set-tag', (fields, request) =>
        this.command(request, fields.required('name'), 'POST', '/tags', {
          tags: { [checkKey('tag', fields.required('key'))]: fields.string('value') ?? '' },
        }),
      ),
      at(['DELETE'], 'registered-models/delete-tag', (fields, request) =>
        this.command(request, fields.required('name'), 'POST', '/tags/delete', {
          keys: [checkKey('tag', fields.required('key'))],
        }),
      ),
      at(['POST'], 'registered-models/alias', (fields, request) => this.setAlias(fields, request)),
      at(['DELETE'], 'registered-models/alias', (fields, request) =>
        this.command(
          request,
          fields.required('name'),
          'POST',
          `/aliases/${encodeURIComponent(fields.required('alias'))}/delete`,
          { reason: REASON },
        ),
      ),
      at(['GET'], 'registered-models/alias', async (fields, request) => {
        const state = await this.reads.model(request, fields.required('name'));
        const alias = fields.required('alias');
        const version = Object.hasOwn(state.aliases, alias) ? state.aliases[alias] : undefined;
        if (version === undefined) throw invalid(`Registered model alias ${alias} not found.`);
        return { model_version: await this.reads.versionJson(state, state.versions[version]) };
      }),
      at(['POST', 'GET'], 'registered-models/get-latest-versions', async (fields, request) => {
        const state = await this.reads.model(request, fields.required('name'));
        const stages = fields.strings('stages').map((stage) => STAGES[stage.toLowerCase()] ?? stage);
        const latest = (await this.reads.modelJson(state)).latest_versions;
        return {
          model_versions: stages.length ? latest.filter((v) => stages.includes(v.current_stage)) : latest,
        };
      }),
    ];
  }

  private async create(fields: MlflowFields, request: Request) {
    const name = fields.required('name');
    const tags = Object.fromEntries(
      fields.messages('tags').map((tag) => [checkKey('tag', tag.required('key')), tag.string('value') ?? '']),
    );
    const description = fields.string('description');
    try {
      await this.backend.write(request, 'POST', '/api/v1/models', {
        eventId: newEventId(),
        name,
        ...(description === undefined ? {} : { description }),
        ...(Object.keys(tags).length ? { tags } : {}),
      });
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_ALREADY_EXISTS') {
        throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
      }
      throw error;
    }
    return { registered_model: await this.reads.modelJson(await this.reads.model(request, name)) };
  }

  private async setAlias(fields: MlflowFields, request: Request) {
    const name = fields.required('name');
    const alias = fields.required('alias');
    const version = fields.requiredInt64('version');
    const state = await this.reads.model(request, name);
    const holder = Object.hasOwn(state.aliases, alias) ? state.aliases[alias] : undefined;
    if (holder === version) return {};
    return this.command(request, name, 'POST', '/aliases', {
      alias,
      version,
      reason: REASON,
      replaces: holder ?? null,
    });
  }

  /** The native command; MLflow answers these with an empty message. */
  private async command(
    request: Request,
    name: string,
    method: 'POST' | 'DELETE',
    action: string,
    body: object,
  ): Promise<object> {
    await this.commands.run(request, name, method, action, body);
    return {};
  }
}
