import { TOPICS } from '../../events/src/envelope';
import type { EventLog } from '../../log/src/event-log';
import { ProjectionAuditor, type EventRowView, type ProjectionFinding } from './projection-auditor';

/** The projection's side of the comparison, from the store (libs/store/src/tables/events.table.ts). */
export interface ProjectionSource {
  rows(at: {
    topic: string;
    partition: number;
    fromOffset: number;
    toOffset: number;
    limit: number;
  }): Promise<EventRowView[]>;
  /** Offsets the projector dead-lettered out of the events table and has not re-projected. */
  deadLettered(topic: string, partition: number): Promise<ReadonlySet<number>>;
  /** Where the projection has got to in each partition (its consumer group's committed offsets). */
  projectedUpTo(topic: string): Promise<Map<number, number>>;
}

export interface ProjectionReport {
  eventsCompared: number;
  findings: ProjectionFinding[];
  findingCount: number;
}

/** The topics the projector keeps an events-table row for. */
export const PROJECTED_TOPICS: readonly string[] = [TOPICS.lifecycle, TOPICS.metrics, TOPICS.registry];

const BATCH = 2_000;
const MAX_ROWS_PER_WINDOW = 10 * BATCH;

/**
 * Compares the events table with the log up to where the projection has got (what it has not reached yet is not
 * missing), a batch of offsets at a time, so memory stays one batch of events and rows.
 */
export async function auditProjection(
  log: Pick<EventLog, 'read' | 'endOffsets'>,
  source: ProjectionSource,
  topics: readonly string[] = PROJECTED_TOPICS,
): Promise<ProjectionReport> {
  const auditor = new ProjectionAuditor();
  let eventsCompared = 0;
  for (const topic of topics) {
    const projected = await source.projectedUpTo(topic);
    for (const [partition, logEnd] of [...(await log.endOffsets(topic))].sort(([a], [b]) => a - b)) {
      const end = Math.min(logEnd, projected.get(partition) ?? 0);
      const deadLettered = await source.deadLettered(topic, partition);
      for (let next = 0; next < end;) {
        const records = (await log.read(topic, partition, next, BATCH)).filter(
          (record) => record.offset < end,
        );
        const windowEnd = records.length === BATCH ? records[records.length - 1].offset + 1 : end;
        // One query per window: its rows are its events' and their replayed copies, a few times BATCH at most.
        const rows: EventRowView[] = await source.rows({
          topic,
          partition,
          fromOffset: next,
          toOffset: windowEnd,
          limit: MAX_ROWS_PER_WINDOW + 1,
        });
        if (rows.length > MAX_ROWS_PER_WINDOW) {
          throw new Error(
            `${topic}/${partition} holds over ${MAX_ROWS_PER_WINDOW} events-table rows for offsets ${next} to ${windowEnd - 1}`,
          );
        }
        auditor.comparePartition(topic, partition, records, rows, deadLettered);
        eventsCompared += records.length;
        next = windowEnd;
      }
    }
  }
  return { eventsCompared, findings: auditor.findings, findingCount: auditor.findingCount };
}
