import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '../../../../libs/events/src/envelope';
import { streams } from '../../../../libs/events/src/run.events';
import { EVENT_LOG, type EventLog } from '../../../../libs/log/src/event-log';
import { groupLag } from '../../../../libs/log/src/group-lag';
import { CLICKHOUSE, type ClickHouse } from '../../../../libs/store/src/clickhouse';
import * as queries from '../../../../libs/store/src/queries/run.queries';
import { getMetricSeries, type MetricSeriesQuery } from '../../../../libs/store/src/tables/metric-series';
import { PROJECTOR_CONFIG, type ProjectorConfig } from '../../../projector/src/projector.service';
import { Batcher } from '../batcher';
import type { Artifact, Experiment, MetricSeries, ProjectionLag, Run, RunInput, Sweep } from './runs.models';

/** Reads for dashboards: ClickHouse projections only; the log is asked only how far behind they are. */
@Injectable()
export class RunsService {
  constructor(
    @Inject(CLICKHOUSE) private readonly ch: ClickHouse,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PROJECTOR_CONFIG) private readonly projector: Pick<ProjectorConfig, 'groupId'>,
  ) {}

  async run(id: string): Promise<Run | null> {
    const view = await queries.getRun(this.ch, id);
    return view && toRun(view);
  }

  async runs(filter: queries.RunFilter, limit: number): Promise<Run[]> {
    return (await queries.findRuns(this.ch, filter, limit)).map(toRun);
  }

  async experiment(id: string): Promise<Experiment | null> {
    const view = await queries.getExperiment(this.ch, id);
    return view && toExperiment(view);
  }

  async experiments(includeArchived: boolean, limit: number): Promise<Experiment[]> {
    return (await queries.listExperiments(this.ch, includeArchived, limit)).map(toExperiment);
  }

  /** Batched per turn: `sweep` of every run in a list is one query. */
  private readonly sweeps = new Batcher((ids: string[]) => queries.getSweeps(this.ch, ids), null);
  private readonly children = new Batcher((ids: string[]) => queries.childrenOf(this.ch, ids), []);

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
    return queries.findInputs(this.ch, by);
  }

  artifacts(by: { runId: string; prefix?: string } | { digest: string }): Promise<Artifact[]> {
    return queries.findArtifacts(this.ch, by);
  }

  params(runId: string) {
    return queries.getRunParams(this.ch, runId);
  }

  tags(runId: string) {
    return queries.getRunTags(this.ch, runId);
  }

  metrics(runId: string) {
    return queries.getMetricSummaries(this.ch, runId);
  }

  async metricSeries(query: MetricSeriesQuery): Promise<MetricSeries> {
    return { runId: query.runId, key: query.key, ...(await getMetricSeries(this.ch, query)) };
  }

  runHistory(runId: string, limit: number) {
    return queries.getStreamEvents(this.ch, streams.run(runId), limit);
  }

  projectionLag(): Promise<ProjectionLag[]> {
    return groupLag(this.log, this.projector.groupId, [TOPICS.lifecycle, TOPICS.metrics]);
  }
}

function toRun(view: queries.RunView): Run {
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

function toExperiment(view: queries.ExperimentView): Experiment {
  return { id: view.experimentId, name: view.name, createdAt: view.createdAt, archived: view.archived };
}
