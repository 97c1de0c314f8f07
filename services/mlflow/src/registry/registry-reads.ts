import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { LiveModelState, ModelVersionState } from '../../../../libs/domain/src/model/model.state';
import { getRuns, listRegisteredModels } from '../../../../libs/store/src';
import { MlflowBackend } from '../protocol/mlflow-backend';
import { invalid, notFound } from '../protocol/mlflow-error';
import { runArtifactUri } from '../runs/run-json';
import { modelFolderOf, modelVersionJson, registeredModelJson } from './registry-json';

/** Registered models the caller's scope sees, read from the registry's projection (the folded state). */
@Injectable()
export class RegistryReads {
  constructor(private readonly backend: MlflowBackend) {}

  async all(request: Request, limit = 10_000): Promise<LiveModelState[]> {
    const scope = await this.backend.read(request);
    const rows = await listRegisteredModels(this.backend.reader, scope, { limit });
    return rows.map((row) => JSON.parse(row.stateJson) as LiveModelState);
  }

  async model(request: Request, name: string): Promise<LiveModelState> {
    const scope = await this.backend.read(request);
    const [row] = await listRegisteredModels(this.backend.reader, scope, { name, limit: 1 });
    if (!row) throw notFound(`Registered Model with name=${name} not found`);
    return JSON.parse(row.stateJson) as LiveModelState;
  }

  async version(
    request: Request,
    name: string,
    version: string,
  ): Promise<[LiveModelState, ModelVersionState]> {
    if (!/^[1-9][0-9]{0,9}$/.test(version)) throw invalid(`Invalid model version number '${version}'`);
    const state = await this.model(request, name);
    const found = Object.hasOwn(state.versions, version) ? state.versions[version] : undefined;
    if (!found) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return [state, found];
  }

  /**
   * Where each version's model is: `source` as MLflow shows it (a logged model's `models:/m-…`, else the folder's
   * proxy URI) and `storage`, the folder the client downloads it from (get-download-uri). The runs' experiments
   * are read once.
   */
  async locations(
    versions: readonly ModelVersionState[],
  ): Promise<(version: ModelVersionState) => { source: string; storage: string }> {
    const runs = await getRuns(this.backend.reader, [...new Set(versions.map((version) => version.runId))]);
    const experimentOf = new Map(runs.map((run) => [run.runId, run.experimentId]));
    return (version) => {
      const folder = modelFolderOf(version.artifactPath);
      const root = runArtifactUri(experimentOf.get(version.runId) ?? '0', version.runId);
      const storage = folder === '' ? root : `${root}/${folder}`;
      const loggedModel = folder === '' && version.runId.startsWith('m-');
      return { source: loggedModel ? `models:/${version.runId}` : storage, storage };
    };
  }

  /** Many models at once: their versions' runs read in one query. */
  async modelsJson(states: readonly LiveModelState[]) {
    const locate = await this.locations(states.flatMap((state) => Object.values(state.versions)));
    return states.map((state) => registeredModelJson(state, (version) => locate(version).source));
  }

  async versionsJson(pairs: readonly (readonly [LiveModelState, ModelVersionState])[]) {
    const locate = await this.locations(pairs.map(([, version]) => version));
    return pairs.map(([state, version]) => modelVersionJson(state, version, locate(version).source));
  }

  async modelJson(state: LiveModelState) {
    const locate = await this.locations(Object.values(state.versions));
    return registeredModelJson(state, (version) => locate(version).source);
  }

  async versionJson(state: LiveModelState, version: ModelVersionState) {
    return modelVersionJson(state, version, (await this.locations([version]))(version).source);
  }

  async downloadUri(version: ModelVersionState): Promise<string> {
    return (await this.locations([version]))(version).storage;
  }
}
