import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import { groupLag } from '../../../../libs/log/src/group-lag';
import {
  childrenOf,
  CLICKHOUSE,
  findArtifacts,
  findInputs,
  getRunWorkers,
  findRuns,
  getExperiment,
  getMetricSeries,
  getMetricSummaries,
  getRun,
  getRunParams,
  getRunTags,
  getStreamEvents,
  getSweeps,
  inReadScope,
  listExperiments,
  PROJECTION_GROUP_ID,
  readerFor,
  visibleRunIds,
  type ClickHouse,
  type ClickhouseReader,
  type ExperimentView,
  type MetricSeriesQuery,
  type ReadScope,
  type RunFilter,
  type RunView,
} from '../../../../libs/store/src';
import { Batcher } from '../batcher';
import {
  toRunInput,
  type Artifact,
  type Experiment,
  type MetricSeries,
  type ProjectionLag,
  type Run,
  type RunInput,
  type Sweep,
} from './runs.models';

/** Reads as an id that names nothing: what a read of another workspace's run answers instead of its data. */
const NO_RUN = '';

/**
 * Reads for dashboards: ClickHouse projections only; the log is asked only how far behind they are. Every read
 * that names a run, an experiment or a sweep takes the caller's ReadScope: another workspace's answers as unknown.
 * Fields of a run (params, tags, metrics, inputs, artifacts) need none: their run was read in scope.
 */
@Injectable()
export class RunsService {
  private readonly reader: ClickhouseReader;

  constructor(
    @Inject(CLICKHOUSE) ch: ClickHouse,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PROJECTION_GROUP_ID) private readonly projectionGroupId: string,
  ) {
    this.reader = readerFor(ch);
  }

  async run(id: string, scope: ReadScope): Promise<Run | null> {
    const view = await getRun(this.reader, id);
    return view && inReadScope(scope, view.workspace) ? toRun(view) : null;
  }

  async runs(filter: RunFilter & { scope: ReadScope }, limit: number): Promise<Run[]> {
    return (await findRuns(this.reader, filter, limit)).map(toRun);
  }

  async experiment(id: string, scope: ReadScope): Promise<Experiment | null> {
    const view = await getExperiment(this.reader, id);
    return view && inReadScope(scope, view.workspace) ? toExperiment(view) : null;
  }

  async experiments(includeArchived: boolean, limit: number, scope: ReadScope): Promise<Experiment[]> {
    return (await listExperiments(this.reader, includeArchived, limit, scope)).map(toExperiment);
  }

  /** Batched per turn: `sweep` of every run in a list is one query. */
  private readonly sweeps = new Batcher((ids: string[]) => getSweeps(this.reader, ids), null);
  private readonly children = new Batcher((ids: string[]) => childrenOf(this.reader, ids), []);
  // A list of runs asks for these of every run in one query, not one query a run.
  private readonly paramsOf = new Batcher((ids: string[]) => getRunParams(this.reader, ids), []);
  private readonly tagsOf = new Batcher((ids: string[]) => getRunTags(this.reader, ids), []);
  private readonly metricsOf = new Batcher((ids: string[]) => getMetricSummaries(this.reader, ids), []);
  private readonly workersOf = new Batcher((ids: string[]) => getRunWorkers(this.reader, ids), []);

  async childRuns(parentRunId: string, scope: ReadScope): Promise<Run[]> {
    const children = await this.children.load(parentRunId);
    return children.filter((child) => inReadScope(scope, child.workspace)).map(toRun);
  }

  async sweep(id: string, scope: ReadScope): Promise<Sweep | null> {
    const view = await this.sweeps.load(id);
    if (!view || !inReadScope(scope, view.workspace)) return null;
    return {
      id: view.sweepId,
      workspace: view.workspace,
      experimentId: view.experimentId,
      name: view.name,
      method: view.method,
      searchSpace: JSON.stringify(view.searchSpace),
      objectiveMetric: view.objective?.metric ?? null,
      objectiveGoal: view.objective?.goal ?? null,
      createdAt: view.createdAt,
    };
  }

  async inputs(by: { runId: string }): Promise<RunInput[]> {
    return (await findInputs(this.reader, by)).map(toRunInput);
  }

  /** Lineage across runs: only the runs the caller may read. */
  async inputsWithDigest(digest: string, scope: ReadScope): Promise<RunInput[]> {
    return (await this.inScope(await findInputs(this.reader, { digest }), scope)).map(toRunInput);
  }

  async artifactsWithDigest(digest: string, scope: ReadScope): Promise<Artifact[]> {
    return this.inScope(await findArtifacts(this.reader, { digest }), scope);
  }

  private async inScope<T extends { runId: string }>(rows: T[], scope: ReadScope): Promise<T[]> {
    const visible = await visibleRunIds(this.reader, [...new Set(rows.map((row) => row.runId))], scope);
    return rows.filter((row) => visible.has(row.runId));
  }

  /** The run id to read for the caller: the run's own, or one naming nothing when it is of another workspace. */
  private async readableRunId(runId: string, scope: ReadScope): Promise<string> {
    return (await visibleRunIds(this.reader, [runId], scope)).has(runId) ? runId : NO_RUN;
  }

  workers(runId: string): Promise<string[]> {
    return this.workersOf.load(runId);
  }

  artifacts(by: { runId: string; prefix?: string }): Promise<Artifact[]> {
    return findArtifacts(this.reader, by);
  }

  params(runId: string) {
    return this.paramsOf.load(runId);
  }

  tags(runId: string) {
    return this.tagsOf.load(runId);
  }

  metrics(runId: string) {
    return this.metricsOf.load(runId);
  }

  async metricSeries(query: MetricSeriesQuery, scope: ReadScope): Promise<MetricSeries> {
    const runId = await this.readableRunId(query.runId, scope);
    return {
      runId: query.runId,
      key: query.key,
      ...(await getMetricSeries(this.reader, { ...query, runId })),
    };
  }

  async runHistory(runId: string, limit: number, scope: ReadScope) {
    return getStreamEvents(this.reader, streams.run(await this.readableRunId(runId, scope)), limit);
  }

  projectionLag(): Promise<ProjectionLag[]> {
    return groupLag(this.log, this.projectionGroupId, [TOPICS.lifecycle, TOPICS.metrics, TOPICS.registry]);
  }
}

export function toRun(view: RunView): Run {
  const { runId, context, started, ...rest } = view;
  return {
    ...rest,
    id: runId,
    // The column holds the creation time of a run that never started.
    startTime: started ? view.startTime : null,
    context: context && {
      ...context,
      seeds: Object.entries(context.seeds ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => ({ key, value: String(value) })),
    },
  };
}

function toExperiment(view: ExperimentView): Experiment {
  return {
    id: view.experimentId,
    workspace: view.workspace,
    name: view.name,
    createdAt: view.createdAt,
    archived: view.archived,
    rawPointsMaxAgeDays: view.rawPointsMaxAgeDays,
    tags: Object.entries(view.tags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
}
