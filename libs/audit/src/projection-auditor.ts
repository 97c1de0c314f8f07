import { canonicalJson, type EventEnvelope } from '../../events/src/envelope';
import type { LogRecord } from '../../log/src/event-log';
import type { ProjectedEventRow } from '../../store/src';

/** The fields of an events-table row, as the projector writes them from the envelope the log holds. */
export type EventRowView = ProjectedEventRow;

export type ProjectionFindingKind =
  /** A log event the events table has no row for, and no dead letter explains. */
  | 'row_missing'
  /** A row whose fields differ from the event at its log position. */
  | 'row_altered'
  /** A row at a log position that holds no event of its topic. */
  | 'row_without_event';

export interface ProjectionFinding {
  kind: ProjectionFindingKind;
  topic: string;
  partition: number;
  offset: number;
  stream: string;
  /** The event's workspace (the row's, for a row without an event): who may see the finding's details. */
  workspace: string;
  eventId: string;
  /** For row_altered: the fields that differ from the log. */
  fields: string[];
}

/**
 * Compares the events table with the log, one partition at a time in offset order (a merge of two sorted
 * sequences): every event must have a row equal to it (the projector's row of a metric batch keeps a summary of its
 * payload, so that payload is not compared), every row must stand for an event. Events the projector dead-lettered
 * out of the events table are expected to have none.
 */
export class ProjectionAuditor {
  readonly findings: ProjectionFinding[] = [];
  findingCount = 0;

  constructor(private readonly maxFindings = 100) {}

  /** One partition's events and rows over the same offset range, each in offset order. */
  comparePartition(
    topic: string,
    partition: number,
    records: readonly LogRecord[],
    rows: readonly EventRowView[],
    deadLettered: ReadonlySet<number>,
  ): void {
    let r = 0;
    for (const record of records) {
      while (r < rows.length && rows[r].offset < record.offset)
        this.rowWithoutEvent(topic, partition, rows[r++]);
      let matched = false;
      while (r < rows.length && rows[r].offset === record.offset) {
        const fields = differingFields(record.event, rows[r]);
        // Who may see the finding is the log's say, not the (altered) row's.
        const { workspace, stream, id } = record.event;
        if (fields.length > 0) {
          this.add({
            kind: 'row_altered',
            ...at(topic, partition, rows[r]),
            workspace,
            stream,
            eventId: id,
            fields,
          });
        }
        matched = true;
        r++;
      }
      if (!matched && !deadLettered.has(record.offset)) {
        this.add({
          kind: 'row_missing',
          topic,
          partition,
          offset: record.offset,
          stream: record.event.stream,
          workspace: record.event.workspace,
          eventId: record.event.id,
          fields: [],
        });
      }
    }
    while (r < rows.length) this.rowWithoutEvent(topic, partition, rows[r++]);
  }

  private rowWithoutEvent(topic: string, partition: number, row: EventRowView): void {
    this.add({ kind: 'row_without_event', ...at(topic, partition, row), fields: [] });
  }

  private add(finding: ProjectionFinding): void {
    this.findingCount++;
    if (this.findings.length < this.maxFindings) this.findings.push(finding);
  }
}

function at(topic: string, partition: number, row: EventRowView) {
  return {
    topic,
    partition,
    offset: row.offset,
    stream: row.stream,
    workspace: row.workspace,
    eventId: row.id,
  };
}

/** Which of the row's fields differ from the event it was projected from. */
export function differingFields(event: EventEnvelope, row: EventRowView): string[] {
  const expected: Omit<EventRowView, 'offset' | 'payload'> = {
    id: event.id.toLowerCase().replace(/^urn:uuid:/, ''),
    type: event.type,
    v: event.v,
    stream: event.stream,
    workspace: event.workspace,
    actor: event.actor,
    onBehalfOf: event.onBehalfOf ?? null,
    requestDigest: event.requestDigest ?? null,
    occurredAt: Date.parse(event.occurredAt),
    recordedAt: Date.parse(event.recordedAt),
    prevHash: event.prevHash ?? null,
    hash: event.hash,
  };
  const fields: string[] = (Object.keys(expected) as (keyof typeof expected)[]).filter(
    (key) => expected[key] !== row[key],
  );
  if (event.type !== 'metrics.logged' && !samePayload(event.payload, row.payload)) fields.push('payload');
  return fields;
}

function samePayload(payload: unknown, text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === canonicalJson(payload);
  } catch {
    return false;
  }
}
