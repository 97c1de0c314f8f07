import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { likeMatcher } from '../experiments/experiment-search';
import { MlflowBackend } from '../protocol/mlflow-backend';
import type { MlflowEndpoint, MlflowEndpoints, MlflowMethod } from '../protocol/mlflow-endpoint';
import { invalid, MlflowError } from '../protocol/mlflow-error';
import { offsetOf, offsetToken, type MlflowFields } from '../protocol/mlflow-fields';
import { newEventId } from '../protocol/mlflow-ids';
import { checkKey } from '../runs/batch-limits';
import { runArtifactSourceOf } from './model-sources';
import { MLMODEL } from './registry-json';
import { RegistryReads } from './registry-reads';

const STAGES: Record<string, string> = {
  none: 'None',
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};
/** Recorded with every promotion made through MLflow's API, which carries no reason of its own. */
const REASON = 'through the MLflow API';

/** What a registry filter clause looks at: a model's (or a version's model's) name and tags. */
interface Filterable {
  name: string;
  tags: Record<string, string>;
}

const CLAUSE =
  /^\s*(?:(tags?)\.)?(`(?:[^`]|``)+`|"(?:[^"]|"")+"|[\w.]+)\s*(=|!=|<>|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i;

/**
 * MLflow's registry filters as its client sends them: `name` and `tags.<key>` (backquoted when dotted) with
 * = != LIKE ILIKE, AND-ed. A model without the tag fails = and LIKE and passes != (the client itself adds
 * `tag.`mlflow.prompt.is_prompt` != 'true'` to every search).
 */
function registryFilter(filter: string | undefined): (subject: Filterable) => boolean {
  if (filter === undefined || filter.trim() === '') return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((text) => {
    const match = CLAUSE.exec(text);
    const key = match ? match[2].replace(/^[`"]|[`"]$/g, '') : '';
    if (!match || (!match[1] && key.toLowerCase() !== 'name')) {
      throw invalid(
        `Invalid filter '${filter}': Runlog answers name and tags.<key> with =, !=, LIKE, ILIKE here`,
      );
    }
    const operator = match[3].toUpperCase() === '<>' ? '!=' : match[3].toUpperCase();
    const value = match[4].replaceAll("''", "'");
    const pattern =
      operator === 'LIKE' || operator === 'ILIKE' ? likeMatcher(value, operator === 'ILIKE') : null;
    return (subject: Filterable) => {
      const actual = match[1]
        ? Object.hasOwn(subject.tags, key)
          ? subject.tags[key]
          : undefined
        : subject.name;
      if (actual === undefined) return operator === '!=';
      if (pattern) return pattern(actual);
      return (actual === value) === (operator === '=');
    };
  });
  return (subject) => clauses.every((clause) => clause(subject));
}

function page<T>(items: T[], fields: MlflowFields, defaultMax: number, cap: number) {
  const max = fields.int64('max_results') ?? defaultMax;
  if (max < 1 || max > cap)
    throw invalid(`Invalid value for max_results: it must be 1 to ${cap}, got ${max}`);
  const offset = offsetOf(fields.string('page_token'));
  const next = offset + max < items.length ? { next_page_token: offsetToken(offset + max) } : {};
  return { items: items.slice(offset, offset + max), next };
}

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
  ) {}

  endpoints(): MlflowEndpoint[] {
    const at = (
      methods: MlflowMethod[],
      path: string,
      handle: (fields: MlflowFields, request: Request) => Promise<object>,
    ): MlflowEndpoint => ({
      methods,
      path,
      handle: ({ fields, request }) => handle(fields, request),
    });
    return [
      at(['POST'], 'registered-models/create', (fields, request) => this.create(fields, request)),
      at(['GET'], 'registered-models/get', async (fields, request) => ({
        registered_model: await this.reads.modelJson(
          await this.reads.model(request, fields.required('name')),
        ),
      })),
      at(['GET', 'POST'], 'registered-models/search', async (fields, request) => {
        const matches = registryFilter(fields.string('filter'));
        const models = (await this.reads.all(request)).filter(
          (model) => model.status === 'active' && matches(model),
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
      at(['POST'], 'model-versions/create', (fields, request) => this.createVersion(fields, request)),
      at(['GET'], 'model-versions/get', async (fields, request) => {
        const [state, version] = await this.reads.version(
          request,
          fields.required('name'),
          fields.required('version'),
        );
        return { model_version: await this.reads.versionJson(state, version) };
      }),
      at(['GET', 'POST'], 'model-versions/search', (fields, request) => this.searchVersions(fields, request)),
      at(['GET'], 'model-versions/get-download-uri', async (fields, request) => {
        const [, version] = await this.reads.version(
          request,
          fields.required('name'),
          fields.required('version'),
        );
        return { artifact_uri: await this.reads.downloadUri(version) };
      }),
      at(['POST'], 'model-versions/transition-stage', (fields, request) => this.transition(fields, request)),
      ...(
        [
          'model-versions/update',
          'model-versions/delete',
          'model-versions/set-tag',
          'model-versions/delete-tag',
        ] as const
      ).map((path): MlflowEndpoint => ({
        methods:
          path === 'model-versions/update'
            ? ['PATCH']
            : path === 'model-versions/set-tag'
              ? ['POST']
              : ['DELETE'],
        path,
        handle: () =>
          Promise.reject(
            new MlflowError(
              'NOT_IMPLEMENTED',
              'Runlog keeps every registered version as registered: versions take no tags, edits or deletion',
            ),
          ),
      })),
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

  private async createVersion(fields: MlflowFields, request: Request) {
    const name = fields.required('name');
    const modelId = fields.string('model_id');
    const { runId, path } = runArtifactSourceOf(modelId ? `models:/${modelId}` : fields.required('source'));
    const given = fields.string('run_id');
    if (given !== undefined && given !== runId && !modelId) {
      throw invalid(`The source ${fields.string('source')} is not of run_id ${given}`);
    }
    const description = fields.string('description');
    // An MLflow model is a folder: the version records its MLmodel (a file, with a digest); a single file as is.
    const candidates = [path === '' ? MLMODEL : `${path}/${MLMODEL}`, ...(path === '' ? [] : [path])];
    let answer: { version?: number } | null = null;
    for (const artifactPath of candidates) {
      try {
        answer = await this.backend.write<{ version?: number }>(
          request,
          'POST',
          this.modelPath(name, '/versions'),
          {
            eventId: newEventId(),
            runId,
            artifactPath,
            ...(description ? { description } : {}),
          },
        );
        break;
      } catch (error) {
        const missing =
          error instanceof MlflowError &&
          error.code === 'RESOURCE_DOES_NOT_EXIST' &&
          /artifact/.test(error.message);
        if (!missing || artifactPath === candidates[candidates.length - 1]) throw error;
      }
    }
    const state = await this.reads.model(request, name);
    const version = answer?.version ?? Math.max(...Object.keys(state.versions).map(Number));
    return { model_version: await this.reads.versionJson(state, state.versions[version]) };
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

  private async transition(fields: MlflowFields, request: Request) {
    const name = fields.required('name');
    const versionText = fields.required('version');
    const stage = STAGES[fields.required('stage').toLowerCase()];
    if (!stage)
      throw invalid(
        `Invalid Model Version stage: ${fields.string('stage')}. Value must be one of None, Staging, Production, Archived.`,
      );
    const [state, version] = await this.reads.version(request, name, versionText);
    if (version.stage !== stage) {
      // A stage has one holder in Runlog: the version that holds it now is named as the one replaced.
      const holder = Object.values(state.versions).find(
        (other) => other.stage === stage && stage !== 'None' && stage !== 'Archived',
      );
      await this.command(request, name, 'POST', `/versions/${version.version}/stage`, {
        stage,
        reason: REASON,
        ...(holder ? { replaces: holder.version } : {}),
      });
    }
    const [after, updated] = await this.reads.version(request, name, versionText);
    return { model_version: await this.reads.versionJson(after, updated) };
  }

  private async searchVersions(fields: MlflowFields, request: Request) {
    const filter = fields.string('filter') ?? '';
    const runMatch = /^\s*run_id\s*=\s*'([^']*)'\s*$/i.exec(filter);
    const matches = runMatch ? () => true : registryFilter(filter);
    const models = (await this.reads.all(request)).filter(
      (model) => model.status === 'active' && matches(model),
    );
    const versions = models.flatMap((model) =>
      Object.values(model.versions)
        .filter((version) => !runMatch || version.runId === runMatch[1])
        .map((version) => [model, version] as const),
    );
    const { items, next } = page(versions, fields, 10_000, 200_000);
    return {
      model_versions: await this.reads.versionsJson(items),
      ...next,
    };
  }

  private modelPath(name: string, action: string): string {
    return `/api/v1/models/${encodeURIComponent(name)}${action}`;
  }

  private async command(
    request: Request,
    name: string,
    method: 'POST' | 'DELETE',
    action: string,
    body: object,
  ) {
    await this.backend.write(request, method, this.modelPath(name, action), {
      eventId: newEventId(),
      ...body,
    });
    return {};
  }
}
