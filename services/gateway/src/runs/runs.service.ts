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
  listExperiments,
  PROJECTION_GROUP_ID,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ExperimentView,
  type MetricSeriesQuery,
  type RunFilter,
  type RunView,
} from '../../../../libs/store/src';
import { Batcher } from '../batcher';
import type { Artifact, Experiment, MetricSeries, ProjectionLag, Run, RunInput, Sweep } from './runs.models';

/** Reads for dashboards: ClickHouse projections only; the log is asked only how far behind they are. */
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

  async run(id: string): Promise<Run | null> {
    const view = await getRun(this.reader, id);
    return view && toRun(view);
  }

  async runs(filter: RunFilter, limit: number): Promise<Run[]> {
    return (await findRuns(this.reader, filter, limit)).map(toRun);
  }

  async experiment(id: string): Promise<Experiment | null> {
    const view = await getExperiment(this.reader, id);
    return view && toExperiment(view);
  }

  async experiments(includeArchived: boolean, limit: number): Promise<Experiment[]> {
    return (await listExperiments(this.reader, includeArchived, limit)).map(toExperiment);
  }

  /** Batched per turn: `sweep` of every run in a list is one query. */
  private readonly sweeps = new Batcher((ids: string[]) => getSweeps(this.reader, ids), null);
  private readonly children = new Batcher((ids: string[]) => childrenOf(this.reader, ids), []);
  // A list of runs asks for these of every run in one query, not one query a run.
  private readonly paramsOf = new Batcher((ids: string[]) => getRunParams(this.reader, ids), []);
  private readonly tagsOf = new Batcher((ids: string[]) => getRunTags(this.reader, ids), []);
  private readonly metricsOf = new Batcher((ids: string[]) => getMetricSummaries(this.reader, ids), []);
  private readonly workersOf = new Batcher((ids: string[]) => getRunWorkers(this.reader, ids), []);

  async childRuns(parentRunId: string): Promise<Run[]> {
    return (await this.children.load(parentRunId)).map(toRun);
  }

  async sweep(id: string): Promise<Sweep | null> {
    const view = await this.sweeps.load(id);
    return (
      view && {
        id: view.sweepId,
        experimentId: view.experimentId,
        name: view.name,
        method: view.method,
        searchSpace: JSON.stringify(view.searchSpace),
        objectiveMetric: view.objective?.metric ?? null,
        objectiveGoal: view.objective?.goal ?? null,
        createdAt: view.createdAt,
      }
    );
  }

  inputs(by: { runId: string } | { digest: string }): Promise<RunInput[]> {
    return findInputs(this.reader, by);
  }

  workers(runId: string): Promise<string[]> {
    return this.workersOf.load(runId);
  }

  artifacts(by: { runId: string; prefix?: string } | { digest: string }): Promise<Artifact[]> {
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

  async metricSeries(query: MetricSeriesQuery): Promise<MetricSeries> {
    return { runId: query.runId, key: query.key, ...(await getMetricSeries(this.reader, query)) };
  }

  runHistory(runId: string, limit: number) {
    return getStreamEvents(this.reader, streams.run(runId), limit);
  }

  projectionLag(): Promise<ProjectionLag[]> {
    return groupLag(this.log, this.projectionGroupId, [TOPICS.lifecycle, TOPICS.metrics]);
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
    name: view.name,
    createdAt: view.createdAt,
    archived: view.archived,
    rawPointsMaxAgeDays: view.rawPointsMaxAgeDays,
  };
}
