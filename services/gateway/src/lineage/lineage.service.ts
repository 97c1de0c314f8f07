import { Inject, Injectable } from '@nestjs/common';
import {
  CLICKHOUSE,
  findArtifacts,
  findChildRuns,
  findInputs,
  findModelVersion,
  findRunsOfOrigin,
  getExperiment,
  getRun,
  getRunParams,
  getRunTags,
  getSweeps,
  inReadScope,
  listModelVersionsOfRuns,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ImpactOrigin,
  type ReadScope,
  type RunView,
} from '../../../../libs/store/src';
import { toRunInput } from '../runs/runs.models';
import { ModelStageName } from '../registry/registry.models';
import type { Impact, ImpactedRun, LineageRun, LineageRunRef, ModelLineage } from './lineage.models';

/**
 * How many generations below the runs that used a dataset or a commit an impact walk descends (one query a
 * generation). Runs nest a level or two (a sweep's trials, a job's steps); past this the answer says truncated.
 */
export const MAX_DESCENT_DEPTH = 32;

/**
 * Lineage both ways, from the projections, always in the caller's read scope: a model version back to its run,
 * what the run read, its code, environment and artifacts; a dataset digest or a commit forward to every run that
 * used it, their descendants, and the model versions made from any of them.
 */
@Injectable()
export class LineageService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async modelLineage(
    scope: ReadScope,
    by: { model: string; version: number; workspace?: string },
  ): Promise<ModelLineage | null> {
    const found = await findModelVersion(this.reader, narrow(scope, by.workspace), by);
    if (!found) return null;
    const view = await getRun(this.reader, found.runId);
    const run = view && inReadScope(scope, view.workspace) ? view : null;
    const [inputs, artifacts, lineageRun] = run
      ? await Promise.all([
          findInputs(this.reader, { runId: run.runId }).then((views) => views.map(toRunInput)),
          findArtifacts(this.reader, { runId: run.runId }),
          this.lineageRun(run, scope),
        ])
      : [[], [], null];
    const context = run?.context ?? null;
    return {
      workspace: found.workspace,
      modelId: found.modelId,
      model: found.modelName,
      version: found.version,
      sha256: found.sha256,
      artifactPath: found.artifactPath,
      stage: found.stage as ModelStageName,
      aliases: [...found.aliases].sort(),
      registeredAt: found.registeredAt,
      registeredBy: found.registeredBy,
      runId: found.runId,
      run: lineageRun,
      inputs,
      code: context?.code ?? null,
      environment: context?.environment ?? null,
      hardware: context?.hardware ?? null,
      seeds: Object.entries(context?.seeds ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => ({ key, value: String(value) })),
      artifacts,
    };
  }

  private async lineageRun(run: RunView, scope: ReadScope): Promise<LineageRun> {
    const parentView = run.parentRunId === null ? null : await getRun(this.reader, run.parentRunId);
    const parent = parentView && inReadScope(scope, parentView.workspace) ? parentView : null;
    const [experimentNames, sweeps, params, tags] = await Promise.all([
      this.experimentNames([run.experimentId, ...(parent ? [parent.experimentId] : [])], scope),
      run.sweepId === null ? new Map() : getSweeps(this.reader, [run.sweepId]),
      getRunParams(this.reader, [run.runId]),
      getRunTags(this.reader, [run.runId]),
    ]);
    const sweep = run.sweepId === null ? undefined : sweeps.get(run.sweepId);
    const ref = (view: RunView): LineageRunRef => ({
      runId: view.runId,
      name: view.name,
      status: view.status,
      experimentId: view.experimentId,
      experimentName: experimentNames.get(view.experimentId) ?? null,
    });
    return {
      ...ref(run),
      workspace: run.workspace,
      deleted: run.deleted,
      createdAt: run.createdAt,
      startTime: run.started ? run.startTime : null,
      endTime: run.endTime,
      sweep:
        sweep && inReadScope(scope, sweep.workspace)
          ? {
              sweepId: sweep.sweepId,
              name: sweep.name,
              method: sweep.method,
              objectiveMetric: sweep.objective?.metric ?? null,
              objectiveGoal: sweep.objective?.goal ?? null,
            }
          : null,
      parent: parent ? ref(parent) : null,
      params: params.get(run.runId) ?? [],
      tags: tags.get(run.runId) ?? [],
    };
  }

  private async experimentNames(ids: string[], scope: ReadScope): Promise<Map<string, string>> {
    const views = await Promise.all([...new Set(ids)].map((id) => getExperiment(this.reader, id)));
    const names = new Map<string, string>();
    for (const view of views) {
      if (view && inReadScope(scope, view.workspace)) names.set(view.experimentId, view.name);
    }
    return names;
  }

  /**
   * The runs that used `origin` (oldest first), then their descendants generation by generation, at most `limit`
   * runs in all, and the live model versions made from any of them.
   */
  async impact(
    scope: ReadScope,
    origin: ImpactOrigin,
    options: { workspace?: string; limit: number },
  ): Promise<Impact> {
    const within = narrow(scope, options.workspace);
    const { limit } = options;
    const reachedThrough = 'datasetDigest' in origin ? 'datasetDigest' : 'commit';
    const direct = await findRunsOfOrigin(this.reader, origin, within, limit + 1);
    let truncated = direct.length > limit;
    const runs: ImpactedRun[] = direct.slice(0, limit).map((view) => impacted(view, reachedThrough, 0));
    // A run has one parent, so only a run that used the origin itself can also be a descendant of one that did.
    const excluding = runs.map((run) => run.runId);
    let generation = excluding;
    for (let depth = 1; generation.length > 0 && !truncated; depth++) {
      const room = depth > MAX_DESCENT_DEPTH ? 0 : limit - runs.length;
      // One more than there is room for: a child past the room (or the depth bound) makes the answer truncated.
      const children = await findChildRuns(this.reader, generation, within, { limit: room + 1, excluding });
      if (children.length > room) truncated = true;
      const taken = children.slice(0, room);
      runs.push(...taken.map((child) => impacted(child, 'parentRun', depth)));
      generation = taken.map((child) => child.runId);
    }
    const versions = await listModelVersionsOfRuns(
      this.reader,
      runs.map((run) => run.runId),
      within,
    );
    return {
      runs,
      modelVersions: versions.map((version) => ({
        workspace: version.workspace,
        modelId: version.modelId,
        model: version.modelName,
        version: version.version,
        runId: version.runId,
        artifactPath: version.artifactPath,
        sha256: version.sha256,
        stage: version.stage as ModelStageName,
        aliases: [...version.aliases].sort(),
      })),
      truncated,
    };
  }
}

function impacted(view: RunView, reachedThrough: string, depth: number): ImpactedRun {
  return {
    runId: view.runId,
    workspace: view.workspace,
    name: view.name,
    status: view.status,
    deleted: view.deleted,
    experimentId: view.experimentId,
    parentRunId: view.parentRunId,
    reachedThrough,
    depth,
  };
}

/** The scope narrowed to one workspace when the caller names one (none at all when it may not read it). */
function narrow(scope: ReadScope, workspace: string | undefined): ReadScope {
  if (workspace === undefined) return scope;
  return inReadScope(scope, workspace) ? [workspace] : [];
}
