import type { RunState } from '../../../../libs/domain/src/run/run.decider';
import {
  getExperiment,
  getProjectionWatermarks,
  getRun,
  PROJECTED_TABLES,
  type ClickhouseReader,
  type ProjectedTable,
} from '../../../../libs/store/src';
import type { BatchRows, ExperimentSnapshot } from '../rows/event-rows';
import { runStateFromView } from '../rows/run-state-from-view';

/**
 * What the projector remembers between batches: each table's watermark per partition (read from ClickHouse once,
 * then moved by the inserts that landed) and the latest run snapshots. Both are only a cache of what ClickHouse
 * holds: `forget()` after an insert of unknown outcome, and they are read again.
 */
export class ProjectionState {
  private readonly watermarks = new Map<string, Map<ProjectedTable, number>>();
  private readonly runCache = new Map<string, RunState>();

  constructor(
    private readonly reader: ClickhouseReader,
    private readonly runCacheSize: number,
  ) {}

  forget(): void {
    this.watermarks.clear();
    this.runCache.clear();
  }

  async watermarksFor(topic: string, partition: number): Promise<Map<ProjectedTable, number>> {
    const key = `${topic}/${partition}`;
    let marks = this.watermarks.get(key);
    if (!marks) {
      marks = new Map();
      for (const table of PROJECTED_TABLES) {
        const offset = (await getProjectionWatermarks(this.reader, table, topic)).get(partition);
        if (offset !== undefined) marks.set(table, offset);
      }
      this.watermarks.set(key, marks);
    }
    return marks;
  }

  async runState(runId: string, rows: BatchRows): Promise<RunState | undefined> {
    if (rows.touchedRuns.has(runId)) return undefined;
    const cached = this.runCache.get(runId);
    if (cached) return cached;
    const view = await getRun(this.reader, runId);
    return view ? runStateFromView(view) : undefined;
  }

  /** Experiments change rarely: their last row is read back when a batch changes one, no cache. */
  async experimentSnapshot(experimentId: string, rows: BatchRows): Promise<ExperimentSnapshot | undefined> {
    if (rows.touchedExperiments.has(experimentId)) return undefined;
    return (await getExperiment(this.reader, experimentId)) ?? undefined;
  }

  cacheRun(runId: string, state: RunState): void {
    this.runCache.delete(runId);
    this.runCache.set(runId, state);
    // Map keeps insertion order: the first key is the least recently written.
    if (this.runCache.size > this.runCacheSize) {
      this.runCache.delete(this.runCache.keys().next().value as string);
    }
  }
}
