import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  versionTags,
  type LiveModelState,
  type ModelVersionState,
} from '../../../../libs/domain/src/model/model.state';
import { endpointAt, type MlflowEndpoint, type MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid, MlflowError } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';
import { checkKey } from '../runs/batch-limits';
import { runArtifactSourceOf } from './model-sources';
import { REASON, RegistryCommands, STAGES } from './registry-commands';
import { lastUpdated, MLMODEL } from './registry-json';
import { RegistryReads } from './registry-reads';
import { page, registryFilter } from './registry-search';

/** What a version's tag value may hold (the registry's tags schema). */
const MAX_VERSION_TAG_VALUE = 8000;

type VersionOf = readonly [LiveModelState, ModelVersionState];

const ORDER_KEYS: Record<string, (pair: VersionOf) => string | number> = {
  name: ([model]) => model.name,
  version_number: ([, version]) => version.version,
  creation_timestamp: ([, version]) => version.registeredAt,
  last_updated_timestamp: ([, version]) => lastUpdated(version),
};
/** MLflow's own order when none is given, and what breaks ties of any other. */
const DEFAULT_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];

function versionOrder(orderBy: string[]): (a: VersionOf, b: VersionOf) => number {
  const terms = [...orderBy, ...DEFAULT_ORDER].map((clause) => {
    const match = /^\s*(\w+)\s*(ASC|DESC)?\s*$/i.exec(clause);
    const key = match?.[1].toLowerCase() ?? '';
    if (!match || !Object.hasOwn(ORDER_KEYS, key)) {
      throw invalid(
        `Invalid order by key '${clause}' specified. Valid keys are ${Object.keys(ORDER_KEYS).join(', ')}`,
      );
    }
    return { of: ORDER_KEYS[key], sign: match[2]?.toUpperCase() === 'DESC' ? -1 : 1 };
  });
  return (a, b) => {
    for (const { of, sign } of terms) {
      const [x, y] = [of(a), of(b)];
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return 0;
  };
}

/**
 * MLflow's model versions onto Runlog's: registered from a run's model folder, moved between stages (a promotion
 * naming the holder it replaces), tagged, described and deleted, each the native command on the model's stream.
 */
@Injectable()
export class ModelVersionsEndpoints implements MlflowEndpoints {
  constructor(
    private readonly reads: RegistryReads,
    private readonly commands: RegistryCommands,
  ) {}

  endpoints(): MlflowEndpoint[] {
    const at = endpointAt;
    return [
      at(['POST'], 'model-versions/create', (fields, request) => this.create(fields, request)),
      at(['GET'], 'model-versions/get', async (fields, request) => ({
        model_version: await this.reads.versionJson(...(await this.version(fields, request))),
      })),
      at(['GET', 'POST'], 'model-versions/search', (fields, request) => this.search(fields, request)),
      at(['GET'], 'model-versions/get-download-uri', async (fields, request) => {
        const [, version] = await this.version(fields, request);
        return { artifact_uri: await this.reads.downloadUri(version) };
      }),
      at(['POST'], 'model-versions/transition-stage', (fields, request) => this.transition(fields, request)),
      at(['PATCH'], 'model-versions/update', async (fields, request) => {
        const [model, version] = await this.version(fields, request);
        const description = fields.string('description');
        if (description !== undefined) {
          await this.onVersion(request, model, version, '/description', { description });
        }
        return { model_version: await this.reads.versionJson(...(await this.version(fields, request))) };
      }),
      at(['DELETE'], 'model-versions/delete', async (fields, request) => {
        const [model, version] = await this.version(fields, request);
        await this.commands.run(request, model.name, 'DELETE', `/versions/${version.version}`, {
          reason: REASON,
        });
        return {};
      }),
      at(['POST'], 'model-versions/set-tag', async (fields, request) => {
        const [model, version] = await this.version(fields, request);
        const key = checkKey('tag', fields.required('key'));
        await this.onVersion(request, model, version, '/tags', {
          tags: { [key]: fields.string('value') ?? '' },
        });
        return {};
      }),
      at(['DELETE'], 'model-versions/delete-tag', async (fields, request) => {
        const [model, version] = await this.version(fields, request);
        const key = checkKey('tag', fields.required('key'));
        // MLflow deletes a missing tag without complaint; so does the native command (it decides nothing).
        await this.onVersion(request, model, version, '/tags/delete', { keys: [key] });
        return {};
      }),
    ];
  }

  private version(fields: MlflowFields, request: Request): Promise<VersionOf> {
    return this.reads.version(request, fields.required('name'), fields.required('version'));
  }

  private onVersion(
    request: Request,
    model: LiveModelState,
    version: ModelVersionState,
    action: string,
    body: object,
  ) {
    return this.commands.run(request, model.name, 'POST', `/versions/${version.version}${action}`, body);
  }

  private async create(fields: MlflowFields, request: Request) {
    const name = fields.required('name');
    const modelId = fields.string('model_id');
    const { runId, path } = runArtifactSourceOf(modelId ? `models:/${modelId}` : fields.required('source'));
    const given = fields.string('run_id');
    if (given !== undefined && given !== runId && !modelId) {
      throw invalid(`The source ${fields.string('source')} is not of run_id ${given}`);
    }
    // Checked before the version is registered, so a refused tag leaves no version behind.
    const tags = Object.fromEntries(
      fields.messages('tags').map((tag, index) => {
        const value = tag.string('value') ?? '';
        if (Array.from(value).length > MAX_VERSION_TAG_VALUE) {
          throw invalid(`Tag value of tags[${index}] is longer than ${MAX_VERSION_TAG_VALUE} characters`);
        }
        return [checkKey('tag', tag.required('key')), value];
      }),
    );
    const description = fields.string('description');
    // An MLflow model is a folder: the version records its MLmodel (a file, with a digest); a single file as is.
    const candidates = [path === '' ? MLMODEL : `${path}/${MLMODEL}`, ...(path === '' ? [] : [path])];
    let registered: LiveModelState | null = null;
    for (const artifactPath of candidates) {
      try {
        const answer = await this.commands.run<{ model: LiveModelState }>(
          request,
          name,
          'POST',
          '/versions',
          {
            runId,
            artifactPath,
            ...(description ? { description } : {}),
          },
        );
        registered = answer.model;
        break;
      } catch (error) {
        const missing =
          error instanceof MlflowError &&
          error.code === 'RESOURCE_DOES_NOT_EXIST' &&
          /artifact/.test(error.message);
        if (!missing || artifactPath === candidates[candidates.length - 1]) throw error;
      }
    }
    // The model as the command left it: the newest version from this run and folder is the one just registered.
    const mine = Object.values(registered?.versions ?? {})
      .filter((v) => v.runId === runId && candidates.includes(v.artifactPath))
      .reduce((max, v) => Math.max(max, v.version), 0);
    if (Object.keys(tags).length > 0) {
      await this.commands.run(request, name, 'POST', `/versions/${mine}/tags`, { tags });
    }
    const [state, version] = await this.reads.version(request, name, String(mine));
    return { model_version: await this.reads.versionJson(state, version) };
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
      await this.commands.run(request, name, 'POST', `/versions/${version.version}/stage`, {
        stage,
        reason: REASON,
        ...(holder ? { replaces: holder.version } : {}),
      });
    }
    const [after, updated] = await this.reads.version(request, name, versionText);
    return { model_version: await this.reads.versionJson(after, updated) };
  }

  /**
   * `name`, `run_id`, `version_number` and the version's own `tags.<key>`, in MLflow's grammar and
   * order (`order_by` over name, version_number, creation_timestamp, last_updated_timestamp).
   */
  private async search(fields: MlflowFields, request: Request) {
    const matches = registryFilter(fields.string('filter'), ['name', 'run_id', 'version_number']);
    const order = versionOrder(fields.strings('order_by'));
    const models = (await this.reads.all(request)).filter((model) => model.status === 'active');
    const versions = models
      .flatMap((model) => Object.values(model.versions).map((version) => [model, version] as const))
      .filter(([model, version]) =>
        matches({
          attributes: {
            name: model.name,
            run_id: version.runId,
            version_number: String(version.version),
          },
          tags: versionTags(version),
        }),
      )
      .sort(order);
    const { items, next } = page(versions, fields, 10_000, 200_000);
    return { model_versions: await this.reads.versionsJson(items), ...next };
  }
}
