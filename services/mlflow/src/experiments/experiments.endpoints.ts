import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  getExperiment,
  listExperiments,
  type ExperimentView,
  type ReadScope,
} from '../../../../libs/store/src';
import { findExperimentsByName, getDatasetSummaries, inReadScope } from '../../../../libs/store/src';
import { isModelInputId } from '../runs/dataset-inputs';
import { MlflowBackend } from '../protocol/mlflow-backend';
import type { MlflowEndpoint, MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { invalid, MlflowError, notFound } from '../protocol/mlflow-error';
import { offsetOf, offsetToken, type MlflowFields } from '../protocol/mlflow-fields';
import { newEventId, newExperimentId } from '../protocol/mlflow-ids';
import { DEFAULT_EXPERIMENT, experimentJson } from './experiment-json';
import { searchExperiments } from './experiment-search';
import { checkKey } from '../runs/batch-limits';

/** search_experiments reads at most this many experiments of the caller's workspaces. */
const MAX_EXPERIMENTS = 10_000;

/** Experiments: create, get, get-by-name, search, update (rename), delete (archive), restore. */
@Injectable()
export class ExperimentsEndpoints implements MlflowEndpoints {
  private defaultExists = false;

  constructor(private readonly backend: MlflowBackend) {}

  endpoints(): MlflowEndpoint[] {
    return [
      {
        methods: ['POST'],
        path: 'experiments/create',
        handle: ({ fields, request }) => this.create(fields, request),
      },
      {
        methods: ['GET'],
        path: 'experiments/get',
        handle: ({ fields, request }) => this.get(fields, request),
      },
      {
        methods: ['GET'],
        path: 'experiments/get-by-name',
        handle: ({ fields, request }) => this.getByName(fields, request),
      },
      {
        methods: ['POST', 'GET'],
        path: 'experiments/search',
        handle: ({ fields, request }) => this.search(fields, request),
      },
      {
        methods: ['POST'],
        path: 'experiments/update',
        handle: async ({ fields, request }) => {
          const id = fields.required('experiment_id');
          const name = fields.string('new_name');
          if (name !== undefined) await this.command(request, id, 'rename', { name });
          return {};
        },
      },
      {
        methods: ['POST'],
        path: 'experiments/delete',
        handle: ({ fields, request }) =>
          this.command(request, fields.required('experiment_id'), 'archive', {}),
      },
      {
        methods: ['POST'],
        path: 'experiments/restore',
        handle: ({ fields, request }) =>
          this.command(request, fields.required('experiment_id'), 'restore', {}),
      },
      {
        methods: ['POST'],
        path: 'experiments/search-datasets',
        handle: async ({ fields, request }) => {
          const ids = fields.strings('experiment_ids');
          if (ids.length === 0)
            throw invalid('SearchDatasets request must specify at least one experiment_id.');
          if (ids.length > MAX_DATASET_EXPERIMENTS)
            throw invalid(
              `SearchDatasets request cannot specify more than ${MAX_DATASET_EXPERIMENTS} experiment_ids. Received ${ids.length} experiment_ids.`,
            );
          const found = await getDatasetSummaries(this.backend.reader, ids, await this.backend.read(request));
          return {
            // A logged model a run read is a run input too; MLflow's datasets are the others.
            dataset_summaries: found
              .filter(({ name, digest }) => !isModelInputId(name, digest))
              .map(({ experimentId, name, digest, context }) => ({
                experiment_id: experimentId,
                name,
                digest,
                ...(context ? { context } : {}),
              })),
          };
        },
      },
      {
        methods: ['POST'],
        path: 'experiments/set-experiment-tag',
        handle: ({ fields, request }) => {
          const { key, value } = experimentTagOf(fields);
          return this.command(request, fields.required('experiment_id'), 'tags', { tags: { [key]: value } });
        },
      },
      {
        methods: ['POST'],
        path: 'experiments/delete-experiment-tag',
        handle: async ({ fields, request }) => {
          const id = fields.required('experiment_id');
          const key = checkKey('tag', fields.required('key'));
          const found = await this.experiment(request, id);
          if (!Object.hasOwn(found.tags, key))
            throw notFound(`No tag with name: ${key} in experiment with id ${id}`);
          return this.command(request, id, 'tags/delete', { keys: [key] });
        },
      },
    ];
  }

  /** MLflow's experiment "0", made on first use in the caller's workspace (a get-or-create: a retry makes one). */
  /** Experiment `0`, Default, made on first use: a write that names it (a run, a logged model) makes it first. */
  async ensureDefaultFor(request: Request, experimentId: string): Promise<void> {
    if (experimentId === DEFAULT_EXPERIMENT.id) await this.ensureDefault(request);
  }

  async ensureDefault(request: Request): Promise<void> {
    if (this.defaultExists) return;
    await this.backend.write(request, 'POST', '/api/v1/experiments', {
      eventId: newEventId(),
      experimentId: DEFAULT_EXPERIMENT.id,
      name: DEFAULT_EXPERIMENT.name,
      getOrCreate: true,
    });
    this.defaultExists = true;
  }

  /** Before a read: a caller who may not write reads what there is (no Default yet), rather than a refusal. */
  private async ensureDefaultForRead(request: Request): Promise<void> {
    try {
      await this.ensureDefault(request);
    } catch (error) {
      if (!(error instanceof MlflowError && ['PERMISSION_DENIED', 'UNAUTHENTICATED'].includes(error.code)))
        throw error;
    }
  }

  /** The experiment in the caller's scope, or RESOURCE_DOES_NOT_EXIST. */
  async experiment(request: Request, id: string): Promise<ExperimentView> {
    if (id === DEFAULT_EXPERIMENT.id) await this.ensureDefaultForRead(request);
    const scope = await this.backend.read(request);
    const found = await getExperiment(this.backend.reader, id);
    if (!found || !inReadScope(scope, found.workspace)) throw notFound(`No Experiment with id=${id} exists`);
    return found;
  }

  private async create(fields: MlflowFields, request: Request) {
    const name = fields.required('name');
    const location = fields.string('artifact_location');
    if (location !== undefined) {
      throw invalid(
        `artifact_location ${JSON.stringify(location)} is not accepted: Runlog keeps every artifact in its own store, reached through /api/2.0/mlflow-artifacts`,
      );
    }
    const tags = Object.fromEntries(
      fields.messages('tags').map((tag) => {
        const { key, value } = experimentTagOf(tag);
        return [key, value];
      }),
    );
    const experimentId = newExperimentId();
    try {
      await this.backend.write(request, 'POST', '/api/v1/experiments', {
        eventId: newEventId(),
        experimentId,
        name,
      });
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_ALREADY_EXISTS') {
        throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
      }
      throw error;
    }
    if (Object.keys(tags).length > 0)
      await this.backend.write(request, 'POST', `/api/v1/experiments/${experimentId}/tags`, {
        eventId: newEventId(),
        tags,
      });
    return { experiment_id: experimentId };
  }

  private async get(fields: MlflowFields, request: Request) {
    return { experiment: experimentJson(await this.experiment(request, fields.required('experiment_id'))) };
  }

  private async getByName(fields: MlflowFields, request: Request) {
    const name = fields.required('experiment_name');
    if (name === DEFAULT_EXPERIMENT.name) await this.ensureDefaultForRead(request);
    const scope = await this.backend.read(request);
    const [found] = await findExperimentsByName(this.backend.reader, name, scope);
    if (!found) throw notFound(`Could not find experiment with name '${name}'`);
    return { experiment: experimentJson(found) };
  }

  private async search(fields: MlflowFields, request: Request) {
    await this.ensureDefaultForRead(request);
    const view = (fields.string('view_type') ?? 'ACTIVE_ONLY').toUpperCase();
    if (!['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL', '1', '2', '3'].includes(view))
      throw invalid(`Invalid view_type '${view}'`);
    const maxResults = fields.int64('max_results') ?? 1000;
    if (maxResults < 1 || maxResults > 50_000) {
      throw invalid(
        `Invalid value ${maxResults} for parameter 'max_results' supplied: it must be 1 to 50000.`,
      );
    }
    const lifecycle = (experiment: ExperimentView) =>
      view === 'ALL' || view === '3' || (view === 'DELETED_ONLY' || view === '2') === experiment.archived;
    const found = searchExperiments(
      (await this.all(request, true)).filter(lifecycle),
      fields.string('filter'),
      fields.strings('order_by'),
    );
    const offset = offsetOf(fields.string('page_token'));
    const page = found.slice(offset, offset + maxResults);
    const next =
      offset + maxResults < found.length ? { next_page_token: offsetToken(offset + maxResults) } : {};
    return { experiments: page.map(experimentJson), ...next };
  }

  private async all(request: Request, includeArchived: boolean): Promise<ExperimentView[]> {
    const scope: ReadScope = await this.backend.read(request);
    return listExperiments(this.backend.reader, includeArchived, MAX_EXPERIMENTS, scope);
  }

  private async command(
    request: Request,
    id: string,
    action: 'rename' | 'archive' | 'restore' | 'tags' | 'tags/delete',
    body: object,
  ) {
    await this.experiment(request, id);
    await this.backend.write(request, 'POST', `/api/v1/experiments/${encodeURIComponent(id)}/${action}`, {
      eventId: newEventId(),
      ...body,
    });
    return {};
  }
}

/** MLflow's bound on the experiments of one search-datasets (the UI's). */
const MAX_DATASET_EXPERIMENTS = 20;

/** MLflow's limit on an experiment tag's value (MAX_EXPERIMENT_TAG_VAL_LENGTH), and its key rule. */
const MAX_EXPERIMENT_TAG_VALUE = 5000;

function experimentTagOf(fields: MlflowFields): { key: string; value: string } {
  const key = checkKey('tag', fields.required('key'));
  const value = fields.string('value') ?? '';
  if (value.length > MAX_EXPERIMENT_TAG_VALUE)
    throw invalid(
      `Tag value '${value.slice(0, 100)}...' had length ${value.length}, which exceeded length limit of ${MAX_EXPERIMENT_TAG_VALUE}`,
    );
  return { key, value };
}
