import { Inject, Injectable, Logger } from '@nestjs/common';
import { canonicalUuid } from '../../../../libs/events/src/storable';
import { EVENT_LOG, type EventLog, type LogRecord } from '../../../../libs/log/src/event-log';
import {
  CLICKHOUSE,
  insertProjectedRows,
  listDeadLetters,
  PROJECTED_TABLES,
  projectedEventOffsets,
  readerFor,
  tableHoldsPosition,
  writerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ClickhouseWriter,
  type DeadLetterRow,
  type ProjectedRows,
  type ProjectedTable,
} from '../../../../libs/store/src';
import { describeError } from '../pipeline/insert-errors';
import { ProjectorService } from '../projector.service';
import { addEventRows, BatchRows } from '../rows/event-rows';
import type { ParsedRecord } from '../steps/build-rows.step';
import type { DeadLetterPayload } from './dead-letter-events';

export interface ReprojectionResult {
  topic: string;
  partition: number;
  offset: number;
  outcome: 'resolved' | 'still_failing';
  tables: string[];
  reason?: string;
  error?: string;
}

/** Snapshot tables hold one row per run/experiment: re-projecting a record there means folding its stream again. */
type SnapshotTable = 'runs' | 'experiments';
const SNAPSHOT_TABLES: Partial<Record<ProjectedTable, string>> = { runs: 'run:', experiments: 'experiment:' };
const MAX_LETTERS = 10_000;

class StillFailing extends Error {
  constructor(
    readonly reason: string,
    readonly step: string,
    readonly failure: unknown,
  ) {
    super(reason);
  }
}

export class ReprojectionBusyError extends Error {
  readonly code = 'reprojection_busy';
  constructor() {
    super('a re-projection is already running; wait for it to finish');
  }
}

/**
 * Re-projects open dead letters after a fix (an upcaster, a schema change): each record is read again from the
 * log at its position and taken through the current parse → rows → insert path, for the tables that do not hold
 * it yet; it is then marked resolved in the log (`projection.reprojected`), or stays open with the new error.
 * Runs alone (the batch gate), so a snapshot it folds again is not overtaken by a batch in flight.
 */
@Injectable()
export class ReprojectionService {
  private readonly logger = new Logger('reprojection');
  private readonly reader: ClickhouseReader;
  private readonly writer: ClickhouseWriter;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLICKHOUSE) ch: ClickHouse,
    private readonly projector: ProjectorService,
  ) {
    this.reader = readerFor(ch);
    this.writer = writerFor(ch);
  }

  private running = false;

  /** Whether a re-projection is under way: one at a time, since each holds the projection for its whole length. */
  get busy(): boolean {
    return this.running;
  }

  async reprojectOpen(
    onResult: (result: ReprojectionResult) => void,
  ): Promise<{ resolved: number; stillFailing: number }> {
    if (this.running) throw new ReprojectionBusyError();
    this.running = true;
    try {
      return await this.reprojectAll(onResult);
    } finally {
      this.running = false;
    }
  }

  private reprojectAll(
    onResult: (result: ReprojectionResult) => void,
  ): Promise<{ resolved: number; stillFailing: number }> {
    return this.projector.gate.exclusively(async () => {
      const summary = { resolved: 0, stillFailing: 0 };
      try {
        for (const letter of await listDeadLetters(this.reader, 'open', MAX_LETTERS)) {
          const result = await this.reprojectOne(letter);
          summary[result.outcome === 'resolved' ? 'resolved' : 'stillFailing'] += 1;
          onResult(result);
        }
      } finally {
        // Snapshots were written behind the projector's back: read them (and the watermarks) again.
        this.projector.state.forget();
      }
      return summary;
    });
  }

  private async reprojectOne(letter: DeadLetterRow): Promise<ReprojectionResult> {
    const position = { topic: letter.topic, partition: letter.partition, offset: letter.offset };
    const base = { ...position, tables: letter.tables };
    try {
      const [record] = await this.log.read(letter.topic, letter.partition, letter.offset, 1);
      if (record?.offset !== letter.offset) throw new StillFailing('record_not_found', 'readRecord', null);
      const parsed = this.projector.parseRecord({ record });
      if (parsed.kind !== 'ok') {
        throw new StillFailing(
          parsed.reason,
          this.projector.parseRecord.name,
          parsed.kind === 'dlq' ? parsed.error : null,
        );
      }
      const wanted = (letter.tables.length > 0 ? letter.tables : PROJECTED_TABLES).filter(
        (table): table is ProjectedTable => (PROJECTED_TABLES as readonly string[]).includes(table),
      );
      const missing: ProjectedTable[] = [];
      for (const table of wanted) {
        // An insert lands whole: rows at this position mean the table holds the record (a crash after the insert).
        if (SNAPSHOT_TABLES[table] || !(await tableHoldsPosition(this.reader, table, position)))
          missing.push(table);
      }
      const lines = await this.rowsFor(parsed.value, missing);
      const written = missing.filter((table) => lines[table].length > 0);
      for (const table of written) {
        await insertProjectedRows(this.writer, table, lines[table]).catch((error: unknown) => {
          throw new StillFailing(
            'insert_failed',
            'insertRowsStep',
            new Error(`${table}: ${describeError(error)}`),
          );
        });
      }
      await this.projector.deadLetterEvents.reprojected({ ...this.payloadOf(letter), tables: written });
      this.logger.log(
        `re-projected ${letter.topic}/${letter.partition}@${letter.offset} into ${written.join(', ')}`,
      );
      return { ...base, outcome: 'resolved', tables: written };
    } catch (error) {
      if (!(error instanceof StillFailing)) throw error;
      const text = error.failure === null ? error.reason : describeError(error.failure);
      await this.projector.deadLetterEvents.reprojectionFailed({
        ...this.payloadOf(letter),
        reason: error.reason,
        step: error.step,
        error: text,
      });
      return { ...base, outcome: 'still_failing', reason: error.reason, error: text };
    }
  }

  /** Rows of the record for the tables it is missing from; snapshot tables get the stream folded again. */
  private async rowsFor(parsed: ParsedRecord, missing: ProjectedTable[]): Promise<ProjectedRows> {
    const built = await this.projector.buildRows(
      [parsed],
      (_, table) => missing.includes(table) && !SNAPSHOT_TABLES[table],
    );
    if (built.kind !== 'ok')
      throw new StillFailing(built.reason, 'buildRowsStep', built.kind === 'dlq' ? built.error : null);
    const lines = built.value.lines;
    for (const table of missing) {
      const prefix = SNAPSHOT_TABLES[table];
      if (!prefix || !parsed.event.stream.startsWith(prefix)) continue;
      const snapshotTable = table as SnapshotTable;
      lines[snapshotTable] = await this.refoldSnapshot(parsed.record, snapshotTable).catch(
        (error: unknown) => {
          if (error instanceof StillFailing) throw error;
          throw new StillFailing('row_build_failed', 'refoldSnapshot', error);
        },
      );
    }
    return lines;
  }

  /**
   * The stream's snapshot as the projection should hold it: every event of the stream the events table holds at or
   * below the table's watermark, plus this record, folded by the same row builders, written at the position of
   * the last one (so it replaces the row there: same version, inserted last).
   */
  private async refoldSnapshot(record: LogRecord, table: SnapshotTable): Promise<string[]> {
    const stream = record.event.stream;
    const [slice, offsets, marks] = await Promise.all([
      this.log.readStream(stream),
      projectedEventOffsets(this.reader, stream),
      this.projector.state.watermarksFor(record.topic, record.partition),
    ]);
    // The events table keeps ids in canonical form; a legacy record may spell its id otherwise.
    const idOf = (envelope: { id: string }) => canonicalUuid(envelope.id) ?? envelope.id;
    offsets.set(idOf(record.event), record.offset);
    const upTo = Math.max(marks.get(table) ?? -1, record.offset);
    const rows = new BatchRows();
    for (const envelope of slice.events) {
      const offset = offsets.get(idOf(envelope));
      if (offset === undefined || offset > upTo) continue;
      const parsed = this.projector.parseRecord({ record: { ...record, offset, event: envelope } });
      if (parsed.kind !== 'ok') continue;
      const position = { topic: record.topic, partition: record.partition, offset };
      addEventRows(rows, parsed.value.event, position, (wanted) => wanted === table, {}, envelope);
    }
    rows.finishSnapshots();
    return rows.lines[table];
  }

  private payloadOf(letter: DeadLetterRow): DeadLetterPayload {
    const { topic, partition, offset, reason, step, tables, error, eventId, eventType, stream } = letter;
    return {
      topic,
      partition,
      offset,
      reason,
      step,
      tables,
      error,
      eventId,
      eventType,
      stream,
      deadLetteredAt: letter.deadLetteredAt,
    };
  }
}
